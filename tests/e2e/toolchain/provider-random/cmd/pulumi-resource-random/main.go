// pulumi-resource-random: our rebuild of the pulumi-random resource plugin (see ../../README.md).
// It serves the upstream plugin-framework provider through pulumi-terraform-bridge's pf support
// with the ProviderInfo in ../../info, and the schema and bridge metadata that tfgen generated
// from that same ProviderInfo at build time (the build script writes both files next to this
// one; they are not committed).
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"iid-toolchain/provider-random/info"
)

// version is what the plugin reports; the build sets it to the version in the pinned Python
// SDK's pulumi-plugin.json (-X main.version=...).
var version = "0.0.0-dev"

//go:embed schema.json
var pulumiSchema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	pf.Main(context.Background(), "random", info.Provider(version, bridgeMetadata), pf.ProviderMetadata{
		PackageSchema:  pulumiSchema,
		BridgeMetadata: bridgeMetadata,
	})
}
