// Package profiling turns on Go profiles of the agent from the environment,
// for benchmarks and field diagnosis; with neither variable set it does
// nothing.
//
//	AWS_KINESIS_AGENT_CPUPROFILE=/path/cpu.pprof   CPU profile, start to exit
//	AWS_KINESIS_AGENT_MEMPROFILE=/path/mem.pprof   heap profile written at exit
//	                                                (alloc_space / alloc_objects
//	                                                cover the whole run)
//
// The main calls it once: defer profiling.Start()(). GOGC, GOMEMLIMIT and
// GODEBUG are the Go runtime's own variables and need nothing here.
package profiling

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Environment variables.
const (
	CPUEnv = "AWS_KINESIS_AGENT_CPUPROFILE"
	MemEnv = "AWS_KINESIS_AGENT_MEMPROFILE"
)

// Start starts what the environment asks for and returns the function that
// stops it and writes the profiles. Failures are reported on stderr; they
// never stop the agent.
func Start() (stop func()) {
	cpuPath, memPath := os.Getenv(CPUEnv), os.Getenv(MemEnv)
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
