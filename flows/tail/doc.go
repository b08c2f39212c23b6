// Package tail discovers the files of one flow and reads them into chunks
// of records with their source offsets (spec §3): the agent's tailer.
//
// Shape: one Run goroutine owns every file's state; a watcher goroutine
// turns inotify events into wake-ups (and opens newly created files at
// once); chunks go to the flow on one channel, whose blocking send is the
// back-pressure.
//
//   - Discovery: a literal directory plus a Java glob on the file name
//     (glob.go); compressed archives never read; non-regular entries skipped.
//   - Identity: device+inode plus the file's first bytes (up to 1 KiB). A
//     file is followed across renames on the same descriptor, read to its
//     end before it is let go, restarted at 0 when truncated; a copy of a
//     truncated file continues at the offset already shipped.
//   - Records: split.go cuts bytes exactly as the Java agent does (lines,
//     multi-line start pattern, Firehose aggregation, header lines, footer,
//     runaway records) with fewer timing effects (see docs/compat/tail.md).
//
// The package must not touch checkpoints or acknowledgements: positions
// come in through Config.Resume, and the acknowledgement stage advances
// checkpoints from Chunk.End.
package tail
