"""Grafana: admin account, URLs, datasource, folders and dashboards (config key ``grafana``).

Defaults reproduce what the docs ask for today (datasource ``http://prometheus:9090``, the
community dashboards 1860, 9628, 11835 and 179 plus a custom API dashboard), provisioned by
code instead of by hand.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from components.model import ConfigModel, CredentialUrl, GrafanaUid, LoginName, Sha256Hex, text
from components.secret_keys import GRAFANA_ADMIN_PASSWORD

INFRASTRUCTURE_FOLDER = "infrastructure"
INTERNET_ID_FOLDER = "internet-id"
Title = Annotated[str, text(190)]
"""A folder, datasource or dashboard title (Grafana keeps 190 characters)."""
# Well-known default passwords (admin/admin was the previous stack's login); refused for the admin account.
WEAK_PASSWORDS = frozenset({"admin", "password", "grafana", "changeme"})
MIN_PASSWORD_LENGTH = 12


class GrafanaFolder(ConfigModel):
    """A dashboard folder with a fixed uid, so re-deploys never create a second one."""

    uid: GrafanaUid
    """Fixed uid of the folder (dashboards name it in ``folder``)."""
    title: Title
    """Title shown in Grafana."""


class CommunityDashboard(ConfigModel):
    """A grafana.com dashboard pinned by revision (and, when known, by the sha256 of the download)."""

    gnet_id: int = Field(gt=0, le=2**31 - 1)
    """Its id on grafana.com (``1860`` is Node Exporter Full)."""
    revision: int = Field(gt=0, le=2**31 - 1)
    """The revision downloaded (``/api/dashboards/<gnetId>/revisions/<revision>/download``)."""
    sha256: Sha256Hex | None = None
    """Hex sha256 of the downloaded file; a different download is refused."""
    folder: GrafanaUid = INFRASTRUCTURE_FOLDER
    """Uid of one of ``grafana.folders``."""
    optional: bool = False
    """A failed download only warns and skips the dashboard instead of stopping the deploy."""
    title: Title | None = None
    """Only used in messages before the file is cached (the dashboard keeps its own title)."""

    @field_validator("sha256")
    @classmethod
    def _lower_case(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()

    @property
    def uid(self) -> str:
        """The uid it is uploaded under (stable across revisions, so an upgrade edits in place)."""
        return f"community-{self.gnet_id}"

    @property
    def cache_name(self) -> str:
        return f"{self.gnet_id}-r{self.revision}.json"

    def describe(self, title: str | None = None) -> str:
        """'community dashboard 1860 revision 37 ('Node Exporter Full')'; ``title`` overrides the configured one."""
        shown = title if title is not None else self.title
        suffix = f" ({shown!r})" if shown else ""
        return f"community dashboard {self.gnet_id} revision {self.revision}{suffix}"


def _default_dashboards() -> list[CommunityDashboard]:
    # Revisions: 1860 r37 is the revision most often pinned for Grafana 10 (newer ones, up to r45,
    # use schemaVersion 41, newer than Grafana 10.2 knows); 9628 r7 is the most pinned (r8 exists);
    # 11835 has only r1 (unmaintained); 179 r10 is the latest.  No sha256: it cannot be computed
    # without downloading; run `python -m components dashboards fetch` and pin what it prints.
    return [
        CommunityDashboard(gnet_id=1860, revision=37, title="Node Exporter Full"),
        CommunityDashboard(gnet_id=9628, revision=7, title="PostgreSQL Database"),
        CommunityDashboard(gnet_id=11835, revision=1, title="Redis Dashboard for Prometheus Redis Exporter"),
        CommunityDashboard(gnet_id=179, revision=10, title="Docker and Host Monitoring w/ Prometheus"),
    ]


def _default_folders() -> list[GrafanaFolder]:
    return [
        GrafanaFolder(uid=INFRASTRUCTURE_FOLDER, title="Infrastructure"),
        GrafanaFolder(uid=INTERNET_ID_FOLDER, title="Internet-ID"),
    ]


class GrafanaSettings(ConfigModel):
    provisioning: Literal["api", "files"] = "api"
    """How datasources and dashboards get into Grafana.  ``api``: through the Grafana provider, which must
    reach Grafana from where `pulumi up` runs (see ``rootUrl``).  ``files``: Grafana's own file provisioning,
    uploaded into its container; nothing has to reach Grafana, and Grafana re-reads dashboards every 30 s."""
    admin_user: LoginName = "admin"
    """Login of Grafana's admin account (the password is the secret ``grafanaAdminPassword``)."""
    root_url: CredentialUrl | None = None
    """URL users reach Grafana at (its login form and the Grafana provider send the admin password there, so
    https unless on loopback); default ``http://<bindAddress>:<ports.grafana>``."""
    generate_admin_password: bool = False
    """Generate the admin password (dev); otherwise the secret ``grafanaAdminPassword`` is required."""
    datasource_uid: GrafanaUid = "prometheus"
    """Fixed uid of the provisioned Prometheus datasource (dashboards point at it)."""
    datasource_name: Title = "Prometheus"
    """Also the name old dashboards reference the datasource by (179 uses ``"Prometheus"``)."""
    alertmanager_datasource_uid: GrafanaUid = "alertmanager"
    """Fixed uid of the Alertmanager datasource."""
    folders: list[GrafanaFolder] = Field(default_factory=_default_folders)
    """Dashboard folders (uid, title)."""
    community_dashboards: list[CommunityDashboard] = Field(default_factory=_default_dashboards)
    """grafana.com dashboards: ``gnetId``, ``revision``, optional ``sha256``, ``folder``, ``optional``, ``title``."""
    migrate_angular_panels: bool = True
    """Let Grafana migrate Angular ``graph``/``singlestat`` panels of old community dashboards to
    ``timeseries``/``stat`` when they load (its ``autoMigrateOldPanels`` feature toggle), keeping their
    thresholds, legends and overrides; off, such panels stay Angular (disabled by default from Grafana 11)."""
    secure_cookies: bool = True
    """Mark Grafana's session cookie ``Secure`` (sent over https only; browsers also send it to http on
    ``localhost``/``127.0.0.1``: the default URL and an ``ssh -L`` tunnel).  Always on when ``rootUrl`` is
    https; only a developer's machine turns it off (dev)."""
    allow_unpinned_dashboards: bool = False
    """Accept community dashboards without a ``sha256``: whatever grafana.com (or anything between) serves
    on the first download is uploaded with admin credentials.  For a developer's machine only (dev);
    elsewhere a deploy refuses them and says how to pin them (``dashboards fetch`` prints the values)."""
    dashboards_folder: GrafanaUid = INTERNET_ID_FOLDER
    """Folder of the custom Internet-ID dashboard."""
    provider_retries: int = Field(10, ge=0, le=100)
    """How often the Grafana provider retries a 429/5xx or refused connection (Grafana starting)."""
    provider_retry_wait: int = Field(5, ge=1, le=300)
    """Seconds between retries."""

    @model_validator(mode="after")
    def _consistent(self) -> GrafanaSettings:
        folder_uids = [f.uid for f in self.folders]
        if len(set(folder_uids)) != len(folder_uids):
            raise ValueError(f"folders: duplicate uids in {folder_uids}")
        problems = []
        if self.dashboards_folder not in folder_uids:
            problems.append(f"dashboardsFolder {self.dashboards_folder!r} is not one of the folders {folder_uids}")
        seen: set[int] = set()
        for dashboard in self.community_dashboards:
            if dashboard.folder not in folder_uids:
                problems.append(f"communityDashboards {dashboard.gnet_id}: folder {dashboard.folder!r} "
                                f"is not one of the folders {folder_uids}")
            if dashboard.gnet_id in seen:
                problems.append(f"communityDashboards: {dashboard.gnet_id} is listed twice")
            seen.add(dashboard.gnet_id)
        if self.datasource_uid == self.alertmanager_datasource_uid:
            problems.append("datasourceUid and alertmanagerDatasourceUid must differ")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies or (self.root_url or "").startswith("https://")

    def required_secrets(self) -> dict[str, str]:
        if self.generate_admin_password:
            return {}
        return {GRAFANA_ADMIN_PASSWORD.key: "grafana.generateAdminPassword is false (the admin account needs a "
                                            "password)"}


def admin_password_problems(user: str, password: str) -> list[str]:
    """What is wrong with an admin user/password pair (checked where the secret's value is known).

    The messages never contain the password.
    """
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"{GRAFANA_ADMIN_PASSWORD.key}: shorter than {MIN_PASSWORD_LENGTH} characters")
    if password.lower() in WEAK_PASSWORDS or password.lower() == user.lower():
        problems.append(f"{GRAFANA_ADMIN_PASSWORD.key}: a default or the user name; choose another password")
    if password != password.strip() or "\n" in password:
        problems.append(f"{GRAFANA_ADMIN_PASSWORD.key}: has leading/trailing whitespace or a newline")
    return problems


class AdminPasswordError(ValueError):
    """The admin password is unusable; the message never contains the password."""


def checked_admin_password(user: str, password: str) -> str:
    """``password`` if it is usable for ``user``; else ``AdminPasswordError`` naming every problem."""
    problems = admin_password_problems(user, password)
    if problems:
        raise AdminPasswordError("; ".join(problems))
    return password
