// jsdom has no layout: every element measures 0 × 0. recharts' ResponsiveContainer sizes charts
// from ResizeObserver, so this stub reports a laptop-sized chart box (600 × 260) on observe.
type ResizeCallback = (
  entries: Array<{ target: Element; contentRect: { width: number; height: number } }>,
  observer: unknown,
) => void;

class ResizeObserverStub {
  constructor(private readonly callback: ResizeCallback) {}
  observe(target: Element): void {
    this.callback([{ target, contentRect: { width: 600, height: 260 } }], this);
  }
  unobserve(): void {}
  disconnect(): void {}
}
Object.assign(globalThis, { ResizeObserver: ResizeObserverStub });
