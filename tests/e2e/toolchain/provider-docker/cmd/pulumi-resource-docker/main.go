// pulumi-resource-docker: our rebuild of the pulumi-docker resource plugin (see ../../README.md).
// It serves the upstream Terraform provider through pulumi-terraform-bridge with the
// ProviderInfo in ../../info, and the schema and bridge metadata that tfgen generated from that
// same ProviderInfo at build time (the build script writes both files next to this one; they are
// not committed).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"iid-toolchain/provider-docker/info"
)

// version is what the plugin reports; the build sets it to the version in the pinned Python
// SDK's pulumi-plugin.json (-X main.version=...).
var version = "0.0.0-dev"

//go:embed schema.json
var pulumiSchema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	tfbridge.Main("docker", version, info.Provider(version, bridgeMetadata), pulumiSchema)
}
