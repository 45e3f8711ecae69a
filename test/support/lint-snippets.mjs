// Lints code snippets as if they lived at given paths in the repo. Reads [{filePath, code}] as JSON
// on stdin, prints [[ruleId, ...], ...]. Runs outside jest, because ESLint loads its flat config with
// a dynamic import that jest's module system does not support.
import { ESLint } from 'eslint';

const input = JSON.parse(
  await new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
  }),
);
const eslint = new ESLint({ cwd: process.cwd() });
const output = [];
for (const { filePath, code } of input) {
  const [result] = await eslint.lintText(code, { filePath });
  output.push((result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`));
}
process.stdout.write(JSON.stringify(output));
