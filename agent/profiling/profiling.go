// Package profiling turns on Go profiles of the agent from the environment,
// for benchmarks and field diagnosis; with neither variable set it does
// nothing.
//
//	AWS_KINESIS_AGENT_CPUPROFILE=/path/cpu.pprof   CPU profile, start to exit
//	AWS_KINESIS_AGENT_MEMPROFILE=/path/mem.pprof   heap profile written at exit
//	                                                (alloc_space / alloc_objects
//	                                                cover the whole run)
//	AWS_KINESIS_AGENT_HEAPSNAPSHOT=/path:3s          heap profile (inuse_space:
//	                                                live memory) 3 s after start
//
// The main calls it once: defer profiling.Start()(). GOGC, GOMEMLIMIT and
// GODEBUG are the Go runtime's own variables and need nothing here.
package profiling

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// Environment variables.
const (
	CPUEnv  = "AWS_KINESIS_AGENT_CPUPROFILE"
	MemEnv  = "AWS_KINESIS_AGENT_MEMPROFILE"
	SnapEnv = "AWS_KINESIS_AGENT_HEAPSNAPSHOT"
)

// snapshot writes a heap profile to path after d (path:duration).
func snapshot(spec string) {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		fmt.Fprintf(os.Stderr, "profiling: %s wants /path:duration\n", SnapEnv)
		return
	}
	d, err := time.ParseDuration(spec[i+1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "profiling: %s: %v\n", SnapEnv, err)
		return
	}
	path := spec[:i]
	time.AfterFunc(d, func() {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("heap").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "profiling: heap snapshot: %v\n", err)
		}
	})
}

// Start starts what the environment asks for and returns the function that
// stops it and writes the profiles. Failures are reported on stderr; they
// never stop the agent.
func Start() (stop func()) {
	cpuPath, memPath := os.Getenv(CPUEnv), os.Getenv(MemEnv)
	if spec := os.Getenv(SnapEnv); spec != "" {
		snapshot(spec)
	}
	if cpuPath == "" && memPath == "" {
		return func() {}
	}
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			} else {
				cpu = f
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "profiling: CPU profile: %v\n", err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "profiling: CPU profile: %v\n", err)
			}
		}
		if memPath != "" {
			runtime.GC()
			f, err := os.Create(memPath)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "profiling: heap profile: %v\n", err)
			}
		}
	}
}
