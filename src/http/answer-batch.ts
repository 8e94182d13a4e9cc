import type { OutgoingHttpHeader, ServerResponse } from 'node:http';

/** What an answer is written with: a `ServerResponse`, as far as the batch uses it. */
export type Answerable = Pick<ServerResponse, 'writeHead' | 'end' | 'destroy'>;

interface Answer {
  res: Answerable;
  headers: OutgoingHttpHeader[];
  body: string;
}

/**
 * 200 answers made during one turn of the event loop, written one after the other once the turn's
 * I/O has been handled (from `setImmediate`), instead of each as soon as it is made.
 *
 * Why: writing an answer wakes the client thread that waits for it, and the writer pays for the
 * wake-up. When the server is the slower side, its clients sleep between answers, so a server
 * that writes each answer at once wakes one for nearly every answer. On a paravirtualized machine
 * that was 5 µs of the server's 45 µs a read at 1,000,000 records (`perf`: the kernel's
 * `sock_def_readable`). Written together, the answers of a turn wake the client once or a few times.
 * Side by side at 1,000,000 records, alternating 3-s turns in a quiet spell: 23,600 to 24,200 req/s
 * against 19,400 to 21,000, 39 to 40 µs of CPU a read against 46 to 48, and the client's CPU a
 * request fell too; at 10,000 records, 4% more (bench/README.md). An answer waits for the rest of
 * its turn's requests to be read, which takes long only when many arrive at once, and then the
 * faster turns make up for it: p99 fell (5 ms against 6).
 *
 * A connection's answers still go out in the order of its requests: Node's HTTP server holds a
 * later response of a connection until the earlier ones have ended.
 */
export class AnswerBatch {
  private answers: Answer[] = [];

  /** `onError`: a write that threw; its response has been destroyed, the rest are written. */
  constructor(private readonly onError: (err: unknown) => void) {}

  add(res: Answerable, headers: OutgoingHttpHeader[], body: string): void {
    if (this.answers.length === 0) setImmediate(this.flush);
    this.answers.push({ res, headers, body });
  }

  private readonly flush = (): void => {
    const answers = this.answers;
    this.answers = [];
    for (const { res, headers, body } of answers) {
      try {
        res.writeHead(200, headers);
        res.end(body);
      } catch (err) {
        res.destroy();
        this.onError(err);
      }
    }
  };
}
