import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/*
 * A spec file as text and as data, with the line and column of every value, so each problem
 * names the place to fix. YAML 1.2 (core schema) parses JSON too; aliases are expanded with a
 * limit against alias bombs, duplicate keys are errors.
 */

/** A problem found by a schema, before it is placed in a file. */
export interface PathProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** The problem is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

/** One problem in a spec file: where it is, the path of the value, and what is wrong. */
export interface SpecProblem {
  readonly file: string;
  /** 1-based line of the value (of the key, for an unknown key; of the enclosing mapping, for a missing one). */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Dotted path such as `models.Churn.serving.minReplicas` ('' for the whole file). */
  readonly path: string;
  /** The value given and what is allowed. */
  readonly message: string;
}

/** A spec that cannot be used, with every problem found. */
export class SpecError extends Error {
  public override readonly name = 'SpecError';
  constructor(public readonly problems: readonly SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** `file:line:column: path: message`, the form editors and CI annotate. */
export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path || '(spec)'}: ${p.message}`;
}

/** The text of a spec, its data, and where each value is. */
export class SpecSource {
  /** The file's data (plain objects, arrays, strings, numbers, booleans, null). */
  public readonly value: unknown;
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  /** Reads and parses a spec file; a file that is not YAML or JSON throws a {@link SpecError}. */
  public static read(file: string): SpecSource {
    return new SpecSource(file, readFileSync(file, 'utf8'));
  }

  constructor(
    /** The file name problems are reported with. */
    public readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const errors = [...this.doc.errors, ...this.doc.warnings];
    if (errors.length) {
      throw new SpecError(errors.map((e) => ({ file, ...this.position(e.pos[0]), path: '', message: `not valid YAML or JSON: ${e.message.split('\n')[0]}` })));
    }
    this.value = this.doc.toJS({ maxAliasCount: 100 });
  }

  /**
   * A problem at `path`: at its value, at its key with `atKey` (an unknown key), or at the
   * nearest enclosing value that exists (a missing key).
   */
  public problem(path: readonly PropertyKey[], message: string, atKey = false): SpecProblem {
    return { file: this.file, ...this.position(this.offsetOf(path, atKey)), path: formatPath(path), message };
  }

  private offsetOf(path: readonly PropertyKey[], atKey: boolean): number {
    let node = this.resolve(this.doc.contents as Node | null);
    let offset = node?.range?.[0] ?? 0;
    for (const [i, seg] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return offset;
        const key = pair.key as Node;
        if (i === path.length - 1 && atKey) return key.range?.[0] ?? offset;
        node = this.resolve(pair.value as Node | null);
        offset = node?.range?.[0] ?? key.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = this.resolve(node.items[seg] as Node);
        offset = node?.range?.[0] ?? offset;
      } else {
        return offset;
      }
    }
    return offset;
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    return node && isAlias(node) ? (node.resolve(this.doc) as Node | undefined) : (node ?? undefined);
  }

  private position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

/** `a.b[0].c` from `['a', 'b', 0, 'c']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`)).join('');
}

/** `['a', 'b', 0, 'c']` from `a.b[0].c` (the inverse of {@link formatPath}). */
export function parsePath(text: string): PropertyKey[] {
  return [...text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
