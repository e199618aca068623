// pulumi-tfgen-random generates the Pulumi schema and bridge-metadata.json of our rebuild from
// the ProviderInfo in ../../info (`pulumi-tfgen-random schema --out DIR`), as pulumi-random's
// own tfgen binary does. `pulumi-tfgen-random stamp-version FILE VERSION` then writes the
// version into the generated schema.json, as pulumi-random's generate.go does for
// schema-embed.json (tfgen leaves the version out).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"iid-toolchain/provider-random/info"
)

// version is set by the build (-X main.version=...), as for pulumi-resource-random.
var version = "0.0.0-dev"

func main() {
	if len(os.Args) == 4 && os.Args[1] == "stamp-version" {
		if err := stampVersion(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "stamp-version:", err)
			os.Exit(1)
		}
		return
	}
	prov := info.Provider(version, nil)
	// The upstream module's directory in the module cache (the build passes it), where tfgen
	// reads the Terraform docs it turns into schema descriptions.
	prov.UpstreamRepoPath = os.Getenv("UPSTREAM_REPO_PATH")
	tfgen.Main("random", prov)
}

func stampVersion(path, version string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	v, _ := json.Marshal(version)
	spec["version"] = v
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
