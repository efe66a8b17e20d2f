import { describe, expect, it } from 'vitest';
import { askBeforeUnload } from './unsaved-warning.js';

function fakeEvent() {
  let prevented = false;
  return {
    event: {
      preventDefault: () => {
        prevented = true;
      },
      returnValue: undefined as unknown,
    },
    prevented: () => prevented,
  };
}

describe('askBeforeUnload', () => {
  it('asks (preventDefault and a returnValue) only while an edit is unsaved', () => {
    const dirty = fakeEvent();
    expect(askBeforeUnload(dirty.event, true)).toBe(true);
    expect(dirty.prevented()).toBe(true);
    expect(dirty.event.returnValue).toBe('');
    const clean = fakeEvent();
    expect(askBeforeUnload(clean.event, false)).toBe(false);
    expect(clean.prevented()).toBe(false);
    expect(clean.event.returnValue).toBe(undefined);
  });
});
