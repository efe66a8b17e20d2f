import { describe, expect, it } from 'vitest';
import { askBeforeUnload, LEAVE_QUESTION, mayLeave } from './unsaved-warning.js';

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

describe('mayLeave', () => {
  it('lets a hash change go with no unsaved edit, else asks once and goes by the answer', () => {
    const asked: string[] = [];
    const answer = (yes: boolean) => (question: string) => {
      asked.push(question);
      return yes;
    };
    expect(mayLeave(0, answer(false))).toBe(true);
    expect(asked).toEqual([]);
    expect(mayLeave(1, answer(false))).toBe(false);
    expect(mayLeave(2, answer(true))).toBe(true);
    expect(asked).toEqual([LEAVE_QUESTION, LEAVE_QUESTION]);
  });
});
