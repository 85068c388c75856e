package lebm

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lebm/lebm/"

// imports maps each package directory of the module (relative, slash-separated) to the module packages
// its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if rest, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out[dir], rest) {
				out[dir] = append(out[dir], rest)
			}
		}
		if _, ok := out[dir]; !ok {
			out[dir] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// under reports whether package p is root or below it.
func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

// violations lists the imports of graph that break the layout's rules: no library imports the command
// line; the core imports no family; families do not import each other; data knows no model.
func violations(graph map[string][]string) []string {
	families := []string{"text", "image"}
	core := []string{"prior", "sampler", "learn", "ckpt", "run", "internal"}
	models := append(append([]string{}, core...), families...)
	var bad []string
	for pkg, deps := range graph {
		for _, d := range deps {
			switch {
			case !under(pkg, "cmd") && under(d, "cmd"):
				bad = append(bad, pkg+" (a library) imports the command line "+d)
			case slices.ContainsFunc(core, func(c string) bool { return under(pkg, c) }) && slices.Contains(families, d):
				bad = append(bad, pkg+" (the core) imports the family "+d)
			case slices.Contains(families, pkg) && slices.Contains(families, d) && d != pkg:
				bad = append(bad, pkg+" (a family) imports the family "+d)
			case under(pkg, "corpora") && slices.ContainsFunc(models, func(m string) bool { return under(d, m) }):
				bad = append(bad, pkg+" (data) imports the model package "+d)
			}
		}
	}
	slices.Sort(bad)
	return bad
}

// TestImportRules: the module's packages keep the layout's import rules.
func TestImportRules(t *testing.T) {
	graph := imports(t)
	for _, want := range []string{"learn", "run", "text", "image", "corpora", "cmd/lebm"} {
		if _, ok := graph[want]; !ok {
			t.Fatalf("package %s not found: the walk missed the module (found %d packages)", want, len(graph))
		}
	}
	if bad := violations(graph); len(bad) > 0 {
		t.Fatalf("import rules broken:\n%s", strings.Join(bad, "\n"))
	}
}

// TestViolationsAreFound: each rule catches what it forbids.
func TestViolationsAreFound(t *testing.T) {
	graph := map[string][]string{
		"learn":           {"text"},
		"run":             {"cmd/lebm/internal/clix"},
		"image":           {"text"},
		"corpora":         {"learn"},
		"cmd/lebm":        {"text", "image", "run"},
		"internal/engine": {},
	}
	if got := violations(graph); len(got) != 4 {
		t.Fatalf("want 4 violations, got %d: %v", len(got), got)
	}
}
