import { CronExpressionParser } from 'cron-parser';
import { shortestGapSeconds } from '../../../src/modules/regression/schedule.service';

const gapOf = (cron: string) => shortestGapSeconds(CronExpressionParser.parse(cron, { tz: 'UTC' }).fields);

describe('shortest gap between two firings of a cron expression', () => {
  it.each([
    ['* * * * * *', 1],
    ['*/10 * * * * *', 10],
    ['* * * * *', 60],
    ['*/5 * * * *', 300],
    ['0,1 * * * *', 60],
    ['0,59 * * * *', 60],
    ['0 * * * *', 3600],
    ['0 3 * * *', 86_400],
    ['30 2 * * 1', 86_400],
    ['0 0,23 * * *', 3600],
    ['59 23 * * *', 86_400],
    ['0,59 0,23 * * *', 60],
  ])('%s fires at least %i s apart', (cron, seconds) => {
    expect(gapOf(cron)).toBe(seconds);
  });
});
