/**
 * The diagnostics of one deck. Every part of the parser reports through a `Report`, so each problem
 * carries the deck's file and a 1-based line and column, and the parser decides once whether the lab
 * loads (no error) and in which order problems are shown (by position).
 */
import type { LabDiagnostic } from '../../common/lab-model.js';

export type Report = (severity: LabDiagnostic['severity'], line: number, column: number, message: string) => void;

export class Diagnostics {
  private readonly list: LabDiagnostic[] = [];

  constructor(private readonly file: string) {}

  readonly report: Report = (severity, line, column, message) => {
    this.list.push({ severity, file: this.file, line, column, message });
  };

  hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  /** In source order; problems at the same position keep the order they were found in. */
  sorted(): LabDiagnostic[] {
    return [...this.list].sort((a, b) => a.line - b.line || a.column - b.column);
  }
}
