package main

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// envFlags is a flag set whose flags fall back to environment variables.
// The flags are typed, so -h shows each one's type and built-in default;
// the environment is read only after parsing, for the flags not given, so
// -h never prints a value from it (a database URL may hold a password).
type envFlags struct {
	*flag.FlagSet
	getenv func(string) string
	// env is the variable of each flag that has one.
	env map[string]string
	// checks run once every value is in, each naming the flag and its
	// variable when its value is out of range.
	checks []func() error
}

func newEnvFlags(name string, getenv func(string) string) *envFlags {
	return &envFlags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), getenv: getenv, env: map[string]string{}}
}

// bind records env as name's variable and says so in the usage.
func (f *envFlags) bind(name, env string) string {
	f.env[name] = env
	return name
}

func withEnv(usage, env string) string { return usage + " (env " + env + ")" }

// String registers a string flag falling back to env.
func (f *envFlags) String(p *string, name, env, def, usage string) {
	f.StringVar(p, f.bind(name, env), def, withEnv(usage, env))
}

// Bool registers a boolean flag falling back to env.
func (f *envFlags) Bool(p *bool, name, env string, def bool, usage string) {
	f.BoolVar(p, f.bind(name, env), def, withEnv(usage, env))
}

// Int registers an integer flag falling back to env.
func (f *envFlags) Int(p *int, name, env string, def int, usage string) bound {
	f.IntVar(p, f.bind(name, env), def, withEnv(usage, env))
	return bound{name, func() float64 { return float64(*p) }}
}

// Int64 registers a 64-bit integer flag falling back to env.
func (f *envFlags) Int64(p *int64, name, env string, def int64, usage string) bound {
	f.Int64Var(p, f.bind(name, env), def, withEnv(usage, env))
	return bound{name, func() float64 { return float64(*p) }}
}

// Float registers a number flag falling back to env.
func (f *envFlags) Float(p *float64, name, env string, def float64, usage string) bound {
	f.Float64Var(p, f.bind(name, env), def, withEnv(usage, env))
	return bound{name, func() float64 { return *p }}
}

// Duration registers a duration flag (1s, 5m, 2h) falling back to env.
func (f *envFlags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) bound {
	f.DurationVar(p, f.bind(name, env), def, withEnv(usage, env))
	return bound{name, func() float64 { return float64(*p) }}
}

// StringList registers a comma-separated list flag falling back to env;
// blanks around items and empty items are dropped.
func (f *envFlags) StringList(p *[]string, name, env, usage string) {
	f.Func(f.bind(name, env), withEnv(usage, env), func(v string) error {
		*p = nil
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, item)
			}
		}
		return nil
	})
}

// bound is a numeric flag that a range check may be put on.
type bound struct {
	name  string
	value func() float64
}

// Positive refuses zero and negative values of b.
func (f *envFlags) Positive(b bound) { f.check(b, "a positive", func(v float64) bool { return v > 0 }) }

// NonNegative refuses negative values of b.
func (f *envFlags) NonNegative(b bound) {
	f.check(b, "a non-negative", func(v float64) bool { return v >= 0 })
}

func (f *envFlags) check(b bound, want string, ok func(float64) bool) {
	f.checks = append(f.checks, func() error {
		if ok(b.value()) {
			return nil
		}
		fl := f.Lookup(b.name)
		return fmt.Errorf("%s %s: want %s %s", f.source(b.name), fl.Value, want, typeName(fl))
	})
}

// source names where a flag's value came from, for error messages.
func (f *envFlags) source(name string) string {
	given := false
	f.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	if env, ok := f.env[name]; ok && !given && f.getenv(env) != "" {
		return env
	}
	return "-" + name
}

// typeName is the kind of value a flag takes, as -h shows it.
func typeName(fl *flag.Flag) string {
	kind, _ := flag.UnquoteUsage(fl)
	switch kind {
	case "":
		return "boolean (true or false)"
	case "int":
		return "integer"
	case "float":
		return "number"
	case "duration":
		return "duration (such as 1s, 5m, 2h)"
	}
	return kind
}

// Parse parses args, then fills each flag not given from its environment
// variable, then checks the ranges. It returns the arguments after the
// flags.
func (f *envFlags) Parse(args []string) ([]string, error) {
	if err := f.FlagSet.Parse(args); err != nil {
		return nil, err
	}
	given := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		env, ok := f.env[fl.Name]
		if !ok || given[fl.Name] || err != nil {
			return
		}
		if v := f.getenv(env); v != "" {
			if fl.Value.Set(v) != nil {
				err = fmt.Errorf("environment variable %s=%q is not a valid %s", env, v, typeName(fl))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, check := range f.checks {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return f.Args(), nil
}
