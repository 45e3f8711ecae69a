/** Kernel command-line editing for the pool search: replace one `key=` word, keep the rest. */

/** The command line with every `key=…` word removed and `key=value` appended. */
export function withParam(cmdline: string, key: string, value: string): string {
  const words = cmdline.split(/\s+/).filter((w) => w !== '' && !w.startsWith(`${key}=`));
  return [...words, `${key}=${value}`].join(' ');
}

/** `force` / `noforce` from the last `swiotlb=` word, so a size search keeps the user's forcing choice. */
export function swiotlbForceSuffix(cmdline: string): string {
  const last =
    cmdline
      .split(/\s+/)
      .filter((w) => w.startsWith('swiotlb='))
      .at(-1) ?? '';
  if (/(^|,)force$/.test(last)) return ',force';
  if (/(^|,)noforce$/.test(last)) return ',noforce';
  return '';
}
