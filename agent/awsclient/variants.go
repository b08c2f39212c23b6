package awsclient

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// endpointVariants is what AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT
// or a profile's use_fips_endpoint / use_dualstack_endpoint ask of the
// service clients (the SDK hands them to every client built from the
// loaded configuration), and where each came from. The Java agent's SDK
// reads none of them.
//
// A client whose endpoint agent.json sets uses that endpoint as it is: the
// SDK's endpoint rules refuse a custom endpoint with either variant ("FIPS
// and custom endpoint are not supported"), which made every call fail. The
// others keep the variant (a legitimate way to reach the FIPS hosts), and
// the start-up line and errors name the host it resolves to.
type endpointVariants struct {
	fips, dualStack         bool
	fipsFrom, dualStackFrom string // "AWS_USE_FIPS_ENDPOINT (environment variable)", …
}

// variantsOf resolves the variants from the loaded configuration's sources
// as the service clients do: the first source that sets one decides
// (the environment before the profile).
func variantsOf(ctx context.Context, sources []any) endpointVariants {
	var v endpointVariants
	if src, on, ok := firstSetting(sources, func(src any) (bool, bool, bool, error) {
		p, ok := src.(interface {
			GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
		})
		if !ok {
			return false, false, false, nil
		}
		state, found, err := p.GetUseFIPSEndpoint(ctx)
		return true, found, state == aws.FIPSEndpointStateEnabled, err
	}); ok {
		v.fips, v.fipsFrom = on, settingSource(src, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")
	}
	if src, on, ok := firstSetting(sources, func(src any) (bool, bool, bool, error) {
		p, ok := src.(interface {
			GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
		})
		if !ok {
			return false, false, false, nil
		}
		state, found, err := p.GetUseDualStackEndpoint(ctx)
		return true, found, state == aws.DualStackEndpointStateEnabled, err
	}); ok {
		v.dualStack, v.dualStackFrom = on, settingSource(src, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")
	}
	return v
}

// firstSetting returns the first source that sets a setting, and whether
// it turns it on; get reports whether a source can hold the setting at
// all, whether it sets it, and its value. An error reading a source ends
// the search with nothing found, as the SDK's own resolution does.
func firstSetting(sources []any, get func(src any) (holds, found, on bool, err error)) (src any, on, found bool) {
	for _, src := range sources {
		holds, found, on, err := get(src)
		if err != nil {
			return nil, false, false
		}
		if holds && found {
			return src, on, true
		}
	}
	return nil, false, false
}

// fipsPseudoRegion returns the region a FIPS pseudo-region names
// (fips-us-east-1, us-east-1-fips, fips-us-gov-west-1), as the SDK reads
// such a name at every call.
func fipsPseudoRegion(region string) (string, bool) {
	if !strings.HasPrefix(region, "fips-") && !strings.HasSuffix(region, "-fips") && !strings.Contains(region, "-fips-") {
		return region, false
	}
	r := strings.ReplaceAll(region, "-fips-", "-")
	r = strings.TrimPrefix(r, "fips-")
	r = strings.TrimSuffix(r, "-fips")
	return r, true
}

// fipsRegionName is a FIPS pseudo-region taken as the FIPS setting it
// stands for: first among the configuration's sources, it turns FIPS on
// for the clients without an endpoint of their own (as the name did), and
// is named by the start-up WARN for those with one.
type fipsRegionName string

func (fipsRegionName) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	return aws.FIPSEndpointStateEnabled, true, nil
}

// settingSource names a setting by where the SDK read it.
func settingSource(src any, env, key string) string {
	switch s := src.(type) {
	case fipsRegionName:
		return "the FIPS region name " + strconv.Quote(string(s))
	case awsconfig.EnvConfig:
		return env + " (environment variable)"
	case awsconfig.SharedConfig:
		return key + " (profile " + strconv.Quote(s.Profile) + ")"
	}
	return key
}

// ignoredWarning is the start-up WARN's text when a variant is on and
// agent.json sets some endpoints (keys), or "".
func (v endpointVariants) ignoredWarning(keys []string) string {
	if len(keys) == 0 || (!v.fips && !v.dualStack) {
		return ""
	}
	var settings []string
	if v.fips {
		settings = append(settings, v.fipsFrom)
	}
	if v.dualStack {
		settings = append(settings, v.dualStackFrom)
	}
	verb := "is"
	if len(settings) > 1 {
		verb = "are"
	}
	return strings.Join(settings, " and ") + " " + verb + " ignored for the endpoints set in agent.json (" +
		strings.Join(keys, ", ") + "), which are used as they are (the Java agent reads no such setting)"
}
