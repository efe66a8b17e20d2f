// scripts/panel-specs.ts — what each synthetic panel shows (layout, characters, bubbles, sound
// effects), seeded so the same seed always gives the same set. Drawn by scripts/draw-panels.ts.
import type { Background, BubbleSpec, CharacterSpec, SfxSpec } from './panel-art.js';
import { seededRandom } from './panel-art.js';

export interface PanelSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly background: Background;
  readonly characters: readonly CharacterSpec[];
  readonly bubbles: readonly BubbleSpec[];
  readonly sfx: readonly SfxSpec[];
  /** Format of the bundled example (JPEG for the busy ones keeps examples/ small). */
  readonly format: 'png' | 'jpeg';
}

const HAIR = ['#2b2b35', '#e9c46a', '#b5523b', '#6d4c9f', '#f4a6c0'];
const EYES = ['#2a6fdb', '#3a9d5d', '#8a4b2a', '#c0392b'];
const SHIRTS = ['#e76f51', '#2a9d8f', '#f2f2f2', '#457b9d', '#f4d35e'];

/** The ~1024 px set: 6 panels (bubbles, screentone, two characters, 720x1600 webtoon, speed lines, night). */
export function panelSpecs(seed: number): PanelSpec[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const jitter = (span: number) => Math.round((random() - 0.5) * span);
  const character = (
    cx: number,
    top: number,
    headR: number,
    hair: CharacterSpec['hair'],
    pose: CharacterSpec['pose'],
  ) => ({
    cx: cx + jitter(30),
    top: top + jitter(20),
    headR,
    hair,
    pose,
    hairColour: pick(HAIR),
    eyeColour: pick(EYES),
    shirtColour: pick(SHIRTS),
  });
  return [
    {
      name: 'panel-01-bubbles',
      width: 1024,
      height: 1024,
      background: 'flat',
      characters: [character(600, 330, 88, 'long', 'wave')],
      bubbles: [
        {
          cx: 250,
          cy: 170,
          rx: 210,
          ry: 120,
          tail: [430, 330],
          lines: ['안녕하세요!', '오늘 날씨 좋다'],
          fontPx: 38,
        },
        {
          cx: 800,
          cy: 140,
          rx: 190,
          ry: 95,
          tail: [690, 300],
          lines: ['Hello there!', 'Nice weather.'],
          fontPx: 34,
        },
      ],
      sfx: [],
      format: 'png',
    },
    {
      name: 'panel-02-screentone',
      width: 1024,
      height: 1024,
      background: 'screentone',
      characters: [character(420, 300, 92, 'short', 'arms-down')],
      bubbles: [
        {
          cx: 790,
          cy: 190,
          rx: 200,
          ry: 130,
          tail: [560, 330],
          lines: ['잠깐만!', 'Wait a second,', '어디 가?'],
          fontPx: 36,
        },
      ],
      sfx: [{ x: 640, y: 900, text: '쾅!', fontPx: 150, rotateDeg: -12, fill: '#ffffff' }],
      format: 'jpeg',
    },
    {
      name: 'panel-03-two-characters',
      width: 1024,
      height: 1024,
      background: 'gradient',
      characters: [
        character(300, 340, 80, 'ponytail', 'arms-down'),
        character(730, 320, 84, 'short', 'wave'),
      ],
      bubbles: [
        {
          cx: 230,
          cy: 150,
          rx: 190,
          ry: 100,
          tail: [290, 320],
          lines: ['같이 가자', "Let's go together"],
          fontPx: 30,
        },
        { cx: 790, cy: 130, rx: 180, ry: 90, tail: [740, 300], lines: ['좋아!', 'Sure!'], fontPx: 36 },
      ],
      sfx: [],
      format: 'png',
    },
    {
      name: 'panel-04-webtoon-tall',
      width: 720,
      height: 1600,
      background: 'flat',
      characters: [character(360, 700, 90, 'long', 'arms-up')],
      bubbles: [
        {
          cx: 360,
          cy: 170,
          rx: 260,
          ry: 110,
          tail: [330, 300],
          lines: ['드디어 찾았다!', 'Finally found it!'],
          fontPx: 36,
        },
        {
          cx: 360,
          cy: 470,
          rx: 250,
          ry: 70,
          tail: [360, 470],
          lines: ['그날 오후...', 'That afternoon...'],
          fontPx: 30,
          shape: 'box',
        },
      ],
      sfx: [{ x: 60, y: 1500, text: 'WHOOSH', fontPx: 110, rotateDeg: -6, fill: '#f2c14e' }],
      format: 'jpeg',
    },
    {
      name: 'panel-05-speedlines-sfx',
      width: 1024,
      height: 1024,
      background: 'speedlines',
      characters: [character(512, 300, 90, 'ponytail', 'arms-up')],
      bubbles: [
        { cx: 210, cy: 150, rx: 180, ry: 100, tail: [380, 330], lines: ['으아아!', 'Look out!'], fontPx: 36 },
      ],
      sfx: [{ x: 560, y: 220, text: 'BOOM!', fontPx: 130, rotateDeg: 8, fill: '#e63946' }],
      format: 'jpeg',
    },
    {
      name: 'panel-06-night',
      width: 1024,
      height: 1024,
      background: 'night',
      characters: [character(380, 330, 86, 'short', 'arms-down')],
      bubbles: [
        {
          cx: 780,
          cy: 200,
          rx: 210,
          ry: 120,
          tail: [520, 380],
          lines: ['별이 참 예쁘네', 'The stars are', 'beautiful.'],
          fontPx: 32,
        },
      ],
      sfx: [],
      format: 'png',
    },
  ];
}

/**
 * A long webtoon strip (600 x 7200 px, 12:1) with speech bubbles spread down it, two of them across
 * the detector's tile edges (text-tiles.ts: 600 px tiles every 450 px). Not part of the ~1024 px set.
 */
export function webtoonStripSpec(seed: number): PanelSpec {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const texts = [
    ['어디 있었어?', 'Where were you?'],
    ['미안해, 늦었어', 'Sorry, I am late'],
    ['괜찮아', "It's fine"],
    ['가자!', "Let's go!"],
    ['잠깐만', 'Hold on'],
  ];
  const bubbleYs = [260, 1040, 1500, 4000, 6800];
  const spec: PanelSpec = {
    name: 'strip-01-webtoon-long',
    width: 600,
    height: 7200,
    background: 'flat',
    characters: [1900, 4400, 5600].map((top, i) => ({
      cx: 300,
      top,
      headR: 70,
      hair: (['long', 'short', 'ponytail'] as const)[i] ?? 'long',
      pose: (['wave', 'arms-down', 'arms-up'] as const)[i] ?? 'wave',
      hairColour: pick(HAIR),
      eyeColour: pick(EYES),
      shirtColour: pick(SHIRTS),
    })),
    bubbles: bubbleYs.map((cy, i) => ({
      cx: 300,
      cy,
      rx: 230,
      ry: 95,
      tail: [300 + (i % 2 ? 120 : -120), cy + 160] as const,
      lines: texts[i] ?? [],
      fontPx: 32,
    })),
    sfx: [],
    format: 'jpeg',
  };
  return spec;
}
