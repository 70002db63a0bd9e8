/**
 * Watching runs: {@code events.jsonl} ({@link dev.kindling.core.report.RunEvents}), written at every
 * epoch's end, and {@code report.html} ({@link dev.kindling.core.report.RunReport}), one self-contained
 * page of inline SVG charts per run or overlaying several.
 */
package dev.kindling.core.report;
