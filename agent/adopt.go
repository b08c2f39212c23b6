package agent

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/tail"
)

// splitFlowID parses a flow id, "<kinesis|fh>:<stream>:<dir>/<glob>"
// (config's flowID; stream names hold no colon).
func splitFlowID(id string) (kind, dest, dir, glob string, ok bool) {
	kind, rest, ok1 := strings.Cut(id, ":")
	dest, pattern, ok2 := strings.Cut(rest, ":")
	i := strings.LastIndexByte(pattern, '/')
	if !ok1 || !ok2 || i < 0 {
		return "", "", "", "", false
	}
	return kind, dest, pattern[:i], pattern[i+1:], true
}

// resumeFor returns the positions flow fc resumes from: its own rows, and
// the rows of flows no longer configured (unconfigured: their ids) that
// sent the same directory's files to the same destination, for the files
// fc's glob matches. A flow's id holds its filePattern: editing it (app.log
// to app.log*, as the copytruncate WARN advises) made a new flow with no
// rows, whose files then started by initialPosition, silently: END_OF_FILE
// skipped the lines written while the agent was stopped, START_OF_FILE sent
// every file again (Java does the same). Of several rows of one file (by
// fileId, else path), the most recently saved is taken: a pattern edited
// back finds the newer rows of the edited one. Most recently saved first,
// as checkpoint.Store.Load.
func resumeFor(store *checkpoint.Store, fc config.Flow, unconfigured []string, log *slog.Logger) ([]record.Position, error) {
	out, err := store.Load(fc.ID)
	if err != nil {
		return nil, err
	}
	kind, dest, _, _, ok := splitFlowID(fc.ID)
	matches := tail.GlobMatcher(fc.Glob)
	if !ok || matches == nil {
		return out, nil
	}
	key := func(p record.Position) string {
		if p.FileID != "" {
			return "id " + p.FileID
		}
		return "path " + p.Path
	}
	at := make(map[string]int, len(out))
	for i, p := range out {
		at[key(p)] = i
	}
	for _, id := range unconfigured {
		k, d, dir, glob, ok := splitFlowID(id)
		if !ok || k != kind || d != dest || dir != fc.Dir {
			continue
		}
		rows, err := store.Load(id)
		if err != nil {
			return nil, err
		}
		taken := 0
		for i, p := range rows {
			if filepath.Dir(p.Path) != fc.Dir || !matches(filepath.Base(p.Path)) {
				if i == 0 && p.JavaOnly {
					// The old flow's newest row, Java's: it tells the tailer
					// which of the Java rows taken is Java's position (the
					// others count at their own path only); its file, out of
					// the new pattern, is not read.
					if _, seen := at[key(p)]; !seen {
						p.Flow, p.AdoptedGlob = fc.ID, glob
						at[key(p)] = len(out)
						out = append(out, p)
					}
				}
				continue
			}
			p.Flow, p.AdoptedGlob = fc.ID, glob
			if i, seen := at[key(p)]; seen {
				if !p.Updated.After(out[i].Updated) {
					continue
				}
				out[i] = p
			} else {
				at[key(p)] = len(out)
				out = append(out, p)
			}
			taken++
		}
		if taken > 0 {
			log.Info(fmt.Sprintf("Flow %s takes over %d checkpoint rows of flow %s, which is no longer configured (same directory and destination: its filePattern was edited, or it was replaced)", fc.ID, taken, id))
		}
	}
	slices.SortStableFunc(out, func(a, b record.Position) int { return b.Updated.Compare(a.Updated) })
	return out, nil
}

// unconfiguredFlows returns the ids of flows with checkpoint rows that no
// flow of cfg has.
func unconfiguredFlows(store *checkpoint.Store, cfg *config.Config) ([]string, error) {
	ids, err := store.Flows()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool {
		return slices.ContainsFunc(cfg.Flows, func(fc config.Flow) bool { return fc.ID == id })
	}), nil
}
