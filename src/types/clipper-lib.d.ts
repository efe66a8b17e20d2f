// src/types/clipper-lib.d.ts — the part of clipper-lib (Angus Johnson's Clipper 6.4.2, JS port) that
// toonlora uses: polygon offsetting for the DB detector's unclip step. The package ships no types.
declare module 'clipper-lib' {
  export interface IntPoint {
    X: number;
    Y: number;
  }
  export type Path = IntPoint[];
  export type Paths = Path[];
  export const JoinType: { readonly jtSquare: 0; readonly jtRound: 1; readonly jtMiter: 2 };
  export const EndType: {
    readonly etOpenSquare: 0;
    readonly etOpenRound: 1;
    readonly etOpenButt: 2;
    readonly etClosedLine: 3;
    readonly etClosedPolygon: 4;
  };
  export class ClipperOffset {
    constructor(miterLimit?: number, arcTolerance?: number);
    AddPath(path: Path, joinType: number, endType: number): void;
    Execute(solution: Paths, delta: number): void;
  }
  const ClipperLib: {
    JoinType: typeof JoinType;
    EndType: typeof EndType;
    ClipperOffset: typeof ClipperOffset;
  };
  export default ClipperLib;
}
