// Package info declares the ProviderInfo of our rebuild of the pulumi-random plugin: the
// mapping from the upstream Terraform provider (hashicorp/terraform-provider-random, a
// terraform-plugin-framework provider) to Pulumi tokens and names, through the bridge's
// plugin-framework support (pkg/pf). It is written to reproduce what pulumi-random's
// provider/resources.go declares (tokens random:index/randomX:RandomX, the random_string state
// upgrade hook, the random_bytes ID, accurate previews and raw state deltas), so that the plugin
// is wire-compatible with the pinned pulumi-random Python SDK. See ../README.md.
package info

import (
	"context"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

const (
	randomPkg = "random"
	randomMod = "index"
)

// Provider returns the ProviderInfo. metadata is the bridge-metadata.json that tfgen wrote
// for this same ProviderInfo (nil while tfgen itself runs).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Version:      version,
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_string": {
				// As pulumi-random: states written without a schema version marker (an old
				// pulumi-random bug) are taken to be at version 1.
				PreStateUpgradeHook: func(args tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
					if args.PriorStateSchemaVersion == 0 {
						return 1, args.PriorState, nil
					}
					return args.PriorStateSchemaVersion, args.PriorState, nil
				},
			},
			"random_bytes": {ComputeID: computeRandomBytesID},
		},
		// The language sections of the schema, as pulumi-random declares them (they do not
		// change what the plugin does).
		JavaScript: &tfbridge.JavaScriptInfo{
			DevDependencies:      map[string]string{"@types/node": "^10.0.0"},
			RespectSchemaVersion: true,
		},
		Python: func() *tfbridge.PythonInfo {
			i := &tfbridge.PythonInfo{RespectSchemaVersion: true}
			i.PyProject.Enabled = true
			return i
		}(),
		Golang: &tfbridge.GolangInfo{
			ImportBasePath:                 "github.com/pulumi/pulumi-random/sdk/v4/go/random",
			GenerateResourceContainerTypes: true,
			RespectSchemaVersion:           true,
		},
		CSharp: &tfbridge.CSharpInfo{
			RespectSchemaVersion: true,
			PackageReferences:    map[string]string{"Pulumi": "3.*"},
			Namespaces:           map[string]string{"random": "Random"},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}

	// random_password -> random:index/randomPassword:RandomPassword, and so on.
	makeToken := func(module, name string) (string, error) {
		return tokens.MakeStandard(randomPkg)(module, "Random"+name)
	}
	prov.MustComputeTokens(tokens.SingleModule("random_", randomMod, makeToken))
	prov.MustApplyAutoAliases()
	return prov
}

// computeRandomBytesID: the ID of a RandomBytes is its base64 value, as in pulumi-random.
func computeRandomBytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	b, ok := state["base64"]
	if !ok {
		return "", errors.New("no base64 property in the RandomBytes state")
	}
	if b.IsSecret() {
		b = b.SecretValue().Element
	}
	if !b.IsString() {
		return "", errors.New("the RandomBytes base64 property is not a string")
	}
	return resource.ID(b.StringValue()), nil
}
