import { describe, expect, it } from 'vitest';
import { readRawDefinition, type StateDefinition } from '../../local/definition.ts';

/** Returns the states that a state can go to next: its Next, Default, Choices and Catch targets. */
function successors(state: StateDefinition): string[] {
  const next = typeof state['Next'] === 'string' ? [state['Next']] : [];
  const fallback = typeof state['Default'] === 'string' ? [state['Default']] : [];
  const choices = ((state['Choices'] ?? []) as { Next: string }[]).map((choice) => choice.Next);
  const catches = ((state['Catch'] ?? []) as { Next: string }[]).map((catcher) => catcher.Next);
  return [...next, ...fallback, ...choices, ...catches];
}

describe('definition stops the task before release', () => {
  const { States: states } = readRawDefinition();

  it('every RunCron failure goes to StopCronTask', () => {
    const catches = (states['RunCron']?.['Catch'] ?? []) as { ErrorEquals: string[]; Next: string }[];

    expect(catches).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.taskError', Next: 'StopCronTask' }]);
  });

  it('ReleaseAfterFailure follows a stopped task only', () => {
    const predecessors = Object.entries(states)
      .filter(([, state]) => successors(state).includes('ReleaseAfterFailure'))
      .map(([name]) => name);

    expect(predecessors).toEqual(['IsCronTaskStopped']);
    expect(states['IsCronTaskStopped']?.['Choices']).toEqual([{ Variable: '$.stopTask.stopped', BooleanEquals: true, Next: 'ReleaseAfterFailure' }]);
  });

  it('a failed stop never releases', () => {
    expect(successors(states['StopCronTask'] as StateDefinition).sort()).toEqual(['CronTaskNotStopped', 'IsCronTaskStopped']);
    expect(states['CronTaskNotStopped']?.Type).toBe('Fail');
  });

  it('the wait loops back to StopCronTask', () => {
    expect(states['WaitForCronTaskStop']).toMatchObject({ Type: 'Wait', SecondsPath: '$.stopTask.waitSeconds', Next: 'StopCronTask' });
    expect(states['IsCronTaskStopped']?.['Default']).toBe('WaitForCronTaskStop');
  });
});
