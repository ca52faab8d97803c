/**
 * The simulated clock: time stands still while the engine works, and jumps to the next due timer only when every
 * branch of the run is waiting. Timers sit in a min-heap by due time, then by the order they were set, so timers due
 * at the same moment fire in the order the run set them, on every simulation of the same script.
 */

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class SimulatedClock {
  private readonly heap: Timer[] = [];
  private set = 0;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  /** Resolves when the clock reaches `at` (at once, on the next turn, when it already has). */
  until(at: number): Promise<void> {
    return new Promise((fire) => this.push({ at: Math.max(at, this.current), seq: this.set++, fire }));
  }

  sleep(ms: number): Promise<void> {
    return this.until(this.current + Math.max(0, ms));
  }

  /** When the next timer is due, or undefined when none is set. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Moves time to the earliest timer and fires it; false when no timer is left (the run waits on something else). */
  advance(): boolean {
    const next = this.pop();
    if (!next) return false;
    this.current = Math.max(this.current, next.at);
    next.fire();
    return true;
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (!top || !last || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && earlier(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && earlier(heap[right]!, heap[least]!)) least = right;
      if (least === i) return top;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}

const earlier = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
