// Package info declares the ProviderInfo of our rebuild of the pulumi-docker plugin: the
// mapping from the upstream Terraform provider (kreuzwerker/terraform-provider-docker) to Pulumi
// tokens and names. It is written to reproduce what pulumi-docker's provider/resources.go
// declares for the bridged resources, data sources and config (tokens, field names,
// DeleteBeforeReplace, the DOCKER_HOST default, autonaming), so that the plugin is
// wire-compatible with the pinned pulumi-docker Python SDK. pulumi-docker's native `Image`
// resource (and its extra types) is not part of this rebuild. See ../README.md.
package info

import (
	"context"
	"runtime"
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	tfbridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

const (
	dockerPkg = "docker"
	dockerMod = "index"

	windowsDockerDaemonHost = "npipe:////./pipe/docker_engine"
	defaultDockerDaemonHost = "unix:///var/run/docker.sock"
)

func dockerResource(mod, res string) tokens.Type {
	fn := string(unicode.ToLower(rune(res[0]))) + res[1:]
	return tokens.Type(dockerPkg + ":" + mod + "/" + fn + ":" + res)
}

func dockerDataSource(mod, res string) tokens.ModuleMember {
	fn := string(unicode.ToLower(rune(res[0]))) + res[1:]
	return tokens.ModuleMember(dockerPkg + ":" + mod + "/" + fn + ":" + res)
}

// Provider returns the ProviderInfo. metadata is the bridge-metadata.json that tfgen wrote
// for this same ProviderInfo (nil while tfgen itself runs).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(shim.NewProvider()),
		Name:        "docker",
		Version:     version,
		Description: "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:    []string{"pulumi", "docker"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:   "kreuzwerker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
						if runtime.GOOS == "windows" {
							return windowsDockerDaemonHost, nil
						}
						return defaultDockerDaemonHost, nil
					},
				},
			},
			"registry_auth": {
				Name:        "registryAuth", // not plural
				MaxItemsOne: tfbridge.False(),
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: dockerResource(dockerMod, "ServiceConfig")},
			"docker_container": {
				Tok: dockerResource(dockerMod, "Container"),
				// As pulumi-docker: a replaced container is deleted before its successor is
				// created (fixed names and published host ports would collide otherwise).
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// A list, but one command: not pluralized.
					"command": {Name: "command"},
					// Not pluralized either.
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    dockerResource(dockerMod, "RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"docker_network":        {Tok: dockerResource(dockerMod, "Network")},
			"docker_secret":         {Tok: dockerResource(dockerMod, "Secret")},
			"docker_service":        {Tok: dockerResource(dockerMod, "Service")},
			"docker_volume":         {Tok: dockerResource(dockerMod, "Volume")},
			"docker_registry_image": {Tok: dockerResource(dockerMod, "RegistryImage")},
			"docker_plugin":         {Tok: dockerResource(dockerMod, "Plugin")},
			"docker_tag":            {Tok: dockerResource(dockerMod, "Tag")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_network":        {Tok: dockerDataSource(dockerMod, "getNetwork")},
			"docker_registry_image": {Tok: dockerDataSource(dockerMod, "getRegistryImage")},
			"docker_plugin":         {Tok: dockerDataSource(dockerMod, "getPlugin")},
			"docker_image":          {Tok: dockerDataSource(dockerMod, "getRemoteImage")},
			"docker_logs":           {Tok: dockerDataSource(dockerMod, "getLogs")},
		},
		// The language sections of the schema, as pulumi-docker declares them (they do not
		// change what the plugin does; they keep the served schema close to the official one).
		JavaScript: &tfbridge.JavaScriptInfo{
			Dependencies:         map[string]string{"semver": "^7.0.0"},
			DevDependencies:      map[string]string{"@types/node": "^10.0.0", "@types/semver": "^7.0.0"},
			RespectSchemaVersion: true,
		},
		Python: func() *tfbridge.PythonInfo {
			i := &tfbridge.PythonInfo{RespectSchemaVersion: true}
			i.PyProject.Enabled = true
			return i
		}(),
		Golang: &tfbridge.GolangInfo{
			ImportBasePath:                 "github.com/pulumi/pulumi-docker/sdk/v5/go/docker",
			GenerateResourceContainerTypes: true,
			RespectSchemaVersion:           true,
		},
		CSharp: &tfbridge.CSharpInfo{
			RespectSchemaVersion: true,
			PackageReferences:    map[string]string{"Pulumi": "3.*"},
			Namespaces:           map[string]string{dockerPkg: "Docker"},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}

	// Everything not named above (docker_buildx_builder, docker_registry_image_manifests, ...)
	// gets the standard token in the index module, as in pulumi-docker.
	prov.MustComputeTokens(tfbridgetokens.SingleModule("docker_", dockerMod,
		tfbridgetokens.MakeStandard(dockerPkg)))
	prov.MustApplyAutoAliases()
	prov.SetAutonaming(255, "-")
	return prov
}
