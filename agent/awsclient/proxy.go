package awsclient

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ProxySettings are the proxy variables the agent's HTTP client reads
// (net/http's http.ProxyFromEnvironment), as it reads them: of each pair
// the first one set, upper case first.
type ProxySettings struct {
	HTTPSVar, HTTPS     string // the variable (HTTPS_PROXY or https_proxy) and its value
	HTTPVar, HTTP       string
	NoProxyVar, NoProxy string
}

// proxyVars lists each setting's variables in net/http's order.
var proxyVars = [...][2]string{{"HTTPS_PROXY", "https_proxy"}, {"HTTP_PROXY", "http_proxy"}, {"NO_PROXY", "no_proxy"}}

// ProxyFromEnvironment reads the proxy variables with getenv (os.Getenv)
// and checks the proxies' URLs as New does: net/http drops a proxy URL it
// cannot parse without a word (the agent then went direct), and reads one
// with an unescaped / or # in its password as a proxy on the host "http".
// The error names the variable, shows the URL with its password masked,
// and says how to write it.
func ProxyFromEnvironment(getenv func(string) string) (ProxySettings, error) {
	var p ProxySettings
	vars := [3]*string{&p.HTTPSVar, &p.HTTPVar, &p.NoProxyVar}
	vals := [3]*string{&p.HTTPS, &p.HTTP, &p.NoProxy}
	for i, names := range proxyVars {
		for _, n := range names {
			if v := getenv(n); v != "" {
				*vars[i], *vals[i] = n, v
				break
			}
		}
	}
	var errs []error
	for _, s := range [][2]string{{p.HTTPSVar, p.HTTPS}, {p.HTTPVar, p.HTTP}} {
		if s[1] == "" {
			continue
		}
		if why := proxyURLProblem(s[1]); why != "" {
			errs = append(errs, fmt.Errorf("%s=%s: %s, so the agent cannot use it as meant (net/http drops it and goes direct, or reads another host): "+
				"write it as http://user:password@host:port, with the special characters of the user and password "+
				"percent-encoded (/ as %%2F, # as %%23, %% as %%25, @ as %%40, : in the user as %%3A, ? as %%3F)",
				s[0], MaskProxyURL(s[1]), why))
		}
	}
	return p, errors.Join(errs...)
}

// Describe is the settings for a log line: each proxy (password masked)
// and NO_PROXY, or "" when no proxy is set.
func (p ProxySettings) Describe() string {
	if p.HTTPS == "" && p.HTTP == "" {
		return ""
	}
	var parts []string
	if p.HTTPS != "" {
		parts = append(parts, "https:// endpoints through "+MaskProxyURL(p.HTTPS)+" ("+p.HTTPSVar+")")
	} else {
		parts = append(parts, "https:// endpoints directly (no HTTPS_PROXY: HTTP_PROXY is not used for them)")
	}
	if p.HTTP != "" {
		parts = append(parts, "http:// endpoints through "+MaskProxyURL(p.HTTP)+" ("+p.HTTPVar+")")
	}
	bypass := "the instance and container metadata services, localhost"
	if p.NoProxy != "" {
		bypass = p.NoProxy + " (" + p.NoProxyVar + "), " + bypass
	}
	return strings.Join(parts, "; ") + "; directly: " + bypass
}

// proxyURLProblem says why net/http would not use raw as a proxy (or
// would use another host than meant), or "". It parses raw as
// golang.org/x/net/http/httpproxy does: as a URL, else with http://
// before it.
func proxyURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		fixed, err2 := url.Parse("http://" + raw)
		switch {
		case err2 != nil && err == nil:
			err = err2
		case err2 == nil && strings.Contains(raw, "://"):
			// A scheme of its own that did not parse: with http:// before
			// it, the scheme becomes the host ("http").
			return "not a valid URL: it would be read as a proxy on the host " + strconv.Quote(fixed.Hostname()) +
				" (an unescaped / # ? @ or : in the user or password?)"
		case err2 == nil:
			u, err = fixed, nil
		}
	}
	if err != nil {
		// (Not the parser's text: it quotes the part of the password
		// around the fault.)
		var ee url.EscapeError
		if errors.As(err, &ee) {
			return "not a valid URL: a % is not followed by two hexadecimal digits"
		}
		return "not a valid URL"
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
	default:
		return "unsupported proxy scheme " + strconv.Quote(u.Scheme) + " (http, https, socks5 or socks5h)"
	}
	if u.Hostname() == "" {
		return "no host"
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		if strings.Contains(raw, "@") {
			// (The "host" may be the user and the start of the password,
			// cut at an unescaped / ? or #: never quoted.)
			return "it has a path, query or fragment, which a proxy address has not (an unescaped / ? or # in the user or password?)"
		}
		return "it has a path, query or fragment after the host " + strconv.Quote(u.Host) +
			", which a proxy address has not"
	}
	return ""
}

// MaskProxyURL is raw with the password of its user information replaced
// by *** ("http://corp:***@host:3128"), also when raw is not a valid URL:
// the user information is what comes before the last @ after the scheme.
func MaskProxyURL(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if hasPassword {
		user += ":***"
	}
	return prefix + user + "@" + rest[at+1:]
}
