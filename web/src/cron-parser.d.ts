// The dashboard imports only the expression parser (the package's index also pulls in a file
// parser that needs node:fs); its types live under dist/types.
declare module 'cron-parser/dist/CronExpressionParser' {
  export { CronExpressionParser } from 'cron-parser';
}
