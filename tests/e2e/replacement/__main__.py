"""A container with a fixed name and a published port, as the monitoring stack declares them.

Changing ``port`` replaces it; ``deleteBeforeReplace`` decides whether the old one goes first.
"""

import pulumi
import pulumi_docker as docker

config = pulumi.Config()
docker.Container(
    "fixed",
    name=f"iid-e2e-replacement-{pulumi.get_stack()}",
    image=config.require("image"),
    command=["sleep", "3600"],
    ports=[docker.ContainerPortArgs(internal=8080, external=config.require_int("port"), ip="127.0.0.1")],
    labels=[docker.ContainerLabelArgs(label=config.require("label"), value=config.require("labelValue"))],
    opts=pulumi.ResourceOptions(delete_before_replace=config.get_bool("deleteBeforeReplace") or False),
)
