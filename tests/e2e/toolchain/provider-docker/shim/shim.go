// Package shim exposes the upstream docker provider's SDKv2 provider (internal/provider.New),
// which pulumi-docker reaches through the same few lines added by its patch 0001.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream SDKv2 provider, as terraform-provider-docker's main.go does
// with provider.New(version)(); the plugin-framework half of upstream's mux (docker_compose,
// the docker_containers and docker_registry_image_tags data sources, the actions) is left out,
// as pulumi-docker leaves it out.
func NewProvider() *schema.Provider {
	return provider.New("dev")()
}
