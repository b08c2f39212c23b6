package processors

import (
	"regexp"
	"sync"
)

// builtinCompiled holds each built-in format's compiled pattern, compiled
// once per test binary (tests and fuzz targets match many lines).
var builtinCompiled sync.Map

func builtinFor(format string) *regexp.Regexp {
	if re, ok := builtinCompiled.Load(format); ok {
		return re.(*regexp.Regexp)
	}
	re := compileBuiltin(format)
	builtinCompiled.Store(format, re)
	return re
}
