"""The deployment files, checked without a Docker engine or a Kubernetes cluster: every YAML file
parses; docker-compose.yml, deploy/Dockerfile and deploy/kubernetes name only paths, ports and
settings that exist; compose, Kubernetes and `make cluster` agree (three nodes, one port, the same
settings); the nginx config passes `nginx -t`."""
import ipaddress
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import BINARY, ROOT

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx" / "parley.conf"
KUBERNETES = ROOT / "deploy" / "kubernetes"
SECRET_SETTINGS = {"PARLEY_JWT_SECRET", "PARLEY_ADMIN_TOKEN", "PARLEY_DATABASE_URL"}
PORT = 8080


def yaml_files():
    """Every YAML file of the repository, outside dot folders (.git, .build*, .local, …)."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name != "__pycache__"]
        found += [Path(folder) / name for name in files if name.endswith((".yml", ".yaml"))]
    return sorted(found)


def settings():
    """The real PARLEY_* names: those `parley serve --help` documents (API.md §7)."""
    help_text = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True, text=True, check=True).stdout
    names = set(re.findall(r"PARLEY_[A-Z_]+", help_text))
    assert {"PARLEY_PORT", "PARLEY_JWT_SECRET", "PARLEY_DATABASE_URL"} <= names, help_text
    return names


def compose():
    return yaml.safe_load(COMPOSE.read_text())


def kubernetes_objects():
    objects = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        objects += [(path.name, document) for document in yaml.safe_load_all(path.read_text()) if document]
    return objects


def the(kind):
    found = [document for _, document in kubernetes_objects() if document["kind"] == kind]
    assert len(found) == 1, f"{len(found)} objects of kind {kind}"
    return found[0]


def nginx_upstreams():
    """(host, port) of every `server` line of the upstream block."""
    block = re.search(r"upstream\s+parley\s*\{(.*?)\}", NGINX_CONF.read_text(), re.S).group(1)
    return [(host, int(port)) for host, port in re.findall(r"^\s*server\s+([\w.-]+):(\d+)", block, re.M)]


def cluster_script_nodes():
    return int(re.search(r"^nodes=(\d+)$", (ROOT / "scripts" / "cluster.sh").read_text(), re.M).group(1))


# Every YAML file.

@pytest.mark.parametrize("path", yaml_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_yaml_file_parses(path):
    documents = [document for document in yaml.safe_load_all(path.read_text()) if document is not None]
    assert documents and all(isinstance(document, dict) for document in documents)


def test_the_deploy_files_are_all_there():
    names = {str(path.relative_to(ROOT)) for path in yaml_files()}
    assert "docker-compose.yml" in names
    assert {"config.yaml", "deployment.yaml", "service.yaml", "migrate-job.yaml", "hpa.yaml"} <= {
        path.name for path in KUBERNETES.glob("*.yaml")}


# docker-compose.yml

def test_compose_names_only_what_exists_in_the_repository():
    services = compose()["services"]
    for name, service in services.items():
        if "build" in service:
            build = service["build"]
            context = ROOT / build["context"]
            assert context.is_dir(), name
            assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE, name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):  # a bind mount, not a named volume
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in compose().get("volumes", {}), f"{name}: undeclared volume {source}"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on an unknown service {dependency}"
        assert "image" in service or "build" in service, name

    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["nginx"]["image"].startswith("nginx:")
    assert services["nginx"]["volumes"] == ["./deploy/nginx/parley.conf:/etc/nginx/conf.d/default.conf:ro"]
    assert [port.rsplit(":", 1)[1] for port in services["nginx"]["ports"]] == [str(PORT)]
    # nginx listens where compose publishes it.
    assert re.search(rf"^\s*listen\s+{PORT};", NGINX_CONF.read_text(), re.M)


def test_compose_runs_the_migration_then_three_nodes_behind_nginx():
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"

    nodes = {name: service for name, service in services.items() if service.get("command") == ["serve"]}
    assert len(nodes) == cluster_script_nodes() == 3  # as `make cluster`
    assert sorted(service["environment"]["PARLEY_NODE_ID"] for service in nodes.values()) == ["node-1", "node-2", "node-3"]
    for name, service in nodes.items():
        assert service["build"] == migrate["build"] and service["image"] == migrate["image"], name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert "/ready" in " ".join(service["healthcheck"]["test"]), name
        assert services["nginx"]["depends_on"][name]["condition"] == "service_healthy", name
    # nginx's upstream is exactly these nodes, on the port they listen on.
    assert sorted(nginx_upstreams()) == sorted(
        (name, int(service["environment"]["PARLEY_PORT"])) for name, service in nodes.items())
    # Node ids unique, each advertising its own service address; everything else identical.
    for name, service in nodes.items():
        assert service["environment"]["PARLEY_ADVERTISE_ADDRESS"] == f"{name}:{service['environment']['PARLEY_PORT']}"
    per_node = {"PARLEY_NODE_ID", "PARLEY_ADVERTISE_ADDRESS"}
    shared = [{key: value for key, value in service["environment"].items() if key not in per_node}
              for service in nodes.values()]
    assert all(environment == shared[0] for environment in shared)


def test_compose_sets_only_real_settings():
    names = settings()
    for name, service in compose()["services"].items():
        for key in service.get("environment", {}):
            if key.startswith("PARLEY_"):
                assert key in names, f"{name}: {key} is not a Parley setting"
    environment = compose()["services"]["parley-1"]["environment"]
    assert environment["PARLEY_HOST"] == "0.0.0.0"
    assert int(environment["PARLEY_PORT"]) == PORT
    database = re.match(r"postgres://(\w+):\w+@(\w+):5432/(\w+)$", environment["PARLEY_DATABASE_URL"])
    postgres = compose()["services"]["postgres"]["environment"]
    assert database and database.groups() == ("parley", "postgres", postgres["POSTGRES_DB"])
    assert environment["PARLEY_REDIS_URL"].startswith("redis://redis:6379/")


def test_compose_trusts_x_real_ip_from_nginx_alone():
    """Only the balancer's header is believed: nginx has a fixed address, the nodes trust just it."""
    services = compose()["services"]
    nginx_address = services["nginx"]["networks"]["default"]["ipv4_address"]
    subnet = compose()["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(nginx_address) in ipaddress.ip_network(subnet)
    trusted = services["parley-1"]["environment"]["PARLEY_TRUSTED_PROXIES"]
    assert [ipaddress.ip_network(block) for block in trusted.split(",")] == [ipaddress.ip_network(f"{nginx_address}/32")]


def test_compose_redis_has_a_memory_cap_that_never_evicts():
    """Evicting a presence or generation would break one-socket-per-account silently; a refused write
    is an error the nodes log and survive."""
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--maxmemory") + 1].endswith(("mb", "gb"))


# deploy/Dockerfile

def dockerfile_instructions():
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text().splitlines()
                                          if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()]


def test_the_dockerfile_builds_with_swift_and_runs_slim_as_a_non_root_user():
    instructions = dockerfile_instructions()
    arguments = dict(argument.split("=", 1) for kind, argument in instructions if kind == "ARG")
    stages = [argument for kind, argument in instructions if kind == "FROM"]
    assert len(stages) == 2
    build, runtime = (re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], stage) for stage in stages)
    swift = re.fullmatch(r"swift:(\d+)\.(\d+)-(\w+) AS build", build)
    assert swift, build
    tools = re.search(r"swift-tools-version:\s*(\d+)\.(\d+)", (ROOT / "Package.swift").read_text())
    assert (int(swift[1]), int(swift[2])) >= (int(tools[1]), int(tools[2])), "the image's Swift is older than Package.swift"
    assert runtime == f"debian:{swift[3]}-slim", "build and runtime on different Debian releases"

    runs = " ".join(argument for kind, argument in instructions if kind == "RUN")
    assert "swift build -c release" in runs and "libhiredis-dev" in runs
    hiredis = re.search(r"\b(libhiredis[0-9.]+)\b", runs)
    assert hiredis, "the runtime stage installs no hiredis library"
    if shutil.which("apt-cache"):  # the runtime package libhiredis-dev links against, on this Debian
        depends = subprocess.run(["apt-cache", "depends", "libhiredis-dev"], capture_output=True, text=True).stdout
        assert hiredis[1] in depends, depends

    for kind, argument in instructions:
        if kind == "COPY" and not argument.startswith("--from"):
            *sources, _ = shlex.split(argument)
            for source in (s for s in sources if not s.startswith("--")):
                assert list(ROOT.glob(source)), f"COPY {source}: nothing in the repository"
    copies = [argument for kind, argument in instructions if kind == "COPY"]
    assert any(re.fullmatch(r"--from=build \S+/parley /usr/local/bin/parley", copy) for copy in copies)
    # The dashboard page's resource bundle, next to the binary where Bundle.module looks first.
    bundle = "parley_ParleyService.resources"
    assert any(re.fullmatch(rf"--from=build \S+/{bundle} /usr/local/bin/{bundle}", copy) for copy in copies), copies
    assert f'cp -R "$bin/{bundle}" /out/' in runs
    assert "sql ./sql" in copies

    user = [argument for kind, argument in instructions if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", str(PORT)) in instructions
    assert ("ENTRYPOINT", '["parley"]') in instructions and ("CMD", '["serve"]') in instructions
    environment = " ".join(argument for kind, argument in instructions if kind == "ENV")
    assert "PARLEY_HOST=0.0.0.0" in environment and f"PARLEY_PORT={PORT}" in environment
    # The build context (the top folder) leaves the local build and service data out.
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {".build", ".local", ".git"} <= set(ignored)


# deploy/kubernetes

def test_kubernetes_has_every_object_it_needs():
    kinds = [document["kind"] for _, document in kubernetes_objects()]
    assert {"Deployment", "Service", "ConfigMap", "Secret", "Job", "HorizontalPodAutoscaler"} <= set(kinds)
    for file, document in kubernetes_objects():
        assert document.get("apiVersion") and document["metadata"].get("name"), file


def container_of(workload):
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_the_deployment_probes_drains_and_reads_real_settings():
    deployment = the("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = container_of(deployment)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert list(ports.values()) == [PORT]

    def probe_port(probe):
        port = probe["httpGet"]["port"]
        return ports[port] if isinstance(port, str) else port

    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert probe_port(container["readinessProbe"]) == probe_port(container["livenessProbe"]) == PORT

    # preStop, then the drain: batches of 500 sockets 50 ms apart (5 s for 50 000) and up to 10 s of
    # close handshakes, before the kubelet's SIGKILL.
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 5 + 10 + 5

    config_map, secret = the("ConfigMap"), the("Secret")
    sources = container["envFrom"]
    assert {"configMapRef": {"name": config_map["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in sources
    names = settings()
    assert set(config_map["data"]) <= names and set(secret["stringData"]) <= names
    assert set(secret["stringData"]) == SECRET_SETTINGS
    assert not set(config_map["data"]) & SECRET_SETTINGS, "a secret in the ConfigMap"
    # Every variable is a real setting, or a helper that another one expands as $(NAME).
    env = container.get("env", [])
    expanded = " ".join(str(variable.get("value", "")) for variable in env)
    assert {v["name"] for v in env if f"$({v['name']})" not in expanded} <= names
    assert int(config_map["data"]["PARLEY_PORT"]) == PORT and config_map["data"]["PARLEY_HOST"] == "0.0.0.0"
    assert pod["securityContext"]["runAsNonRoot"] is True

    # The same meaning as compose: every non-secret setting they share has the same value, but for
    # the balancer's addresses, which are the network's own.
    composed = compose()["services"]["parley-1"]["environment"]
    for key, value in config_map["data"].items():
        if key in composed and key != "PARLEY_TRUSTED_PROXIES":
            assert str(composed[key]) == value, key


def test_the_service_reaches_the_deployments_port():
    deployment, service = the("Deployment"), the("Service")
    container = container_of(deployment)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        assert (ports.get(target) if isinstance(target, str) else target) == PORT, port


def test_the_migration_job_and_the_autoscaler_target_the_same_image_and_deployment():
    deployment, job, autoscaler = the("Deployment"), the("Job"), the("HorizontalPodAutoscaler")
    migrate, node = container_of(job), container_of(deployment)
    assert migrate["image"] == node["image"]
    assert migrate["args"] == ["migrate"] and "command" not in migrate  # the image's ENTRYPOINT is parley
    assert migrate["envFrom"] == node["envFrom"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")

    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert autoscaler["spec"]["minReplicas"] == deployment["spec"]["replicas"] == cluster_script_nodes()
    assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
    assert node["resources"]["requests"]["cpu"], "utilization targets need requests"


# deploy/nginx/parley.conf

def test_the_nginx_config_balances_sockets_and_outlives_the_ping_period():
    conf = NGINX_CONF.read_text()
    assert re.search(r"upstream\s+parley\s*\{[^}]*least_conn;", conf)
    upstream = re.search(r"upstream\s+parley\s*\{(.*?)\}", conf, re.S).group(1)
    assert not re.search(r"^\s*keepalive\s", upstream, re.M), "a /ws request could reuse a plain HTTP connection"
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", conf)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", conf)
    assert re.search(r"proxy_http_version\s+1\.1;", conf)
    ws = re.search(r"location\s*=\s*/ws\s*\{(.*?)\}", conf, re.S).group(1)
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        seconds = int(re.search(rf"{directive}\s+(\d+)s;", ws).group(1))
        assert seconds > 90, f"{directive} {seconds}s: a socket is allowed 90 s of silence, pinged every 30 s"


def test_the_nginx_config_drops_slow_and_greedy_clients():
    conf = NGINX_CONF.read_text()
    for directive in ("client_header_timeout", "client_body_timeout"):
        assert int(re.search(rf"{directive}\s+(\d+)s;", conf).group(1)) <= 15, directive
    assert re.search(r"limit_conn_zone\s+\$binary_remote_addr\s+zone=(\w+):", conf)
    assert re.search(r"limit_conn\s+\w+\s+\d+;", conf)


def test_the_nginx_config_passes_nginx_t():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: scripts/provision.sh installs it"
    prefix = Path(tempfile.mkdtemp(prefix="parley-nginx-t-"))
    try:
        for folder in ("logs", "temp"):
            (prefix / folder).mkdir()
        rendered = subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), "nginx-conf", str(prefix), "127.0.0.1:18080",
             "127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083"],
            capture_output=True, text=True, check=True).stdout
        # The rendering changes only the upstream servers and the listen address.
        assert rendered.count("server 127.0.0.1:1808") == 3 and "listen 127.0.0.1:18080;" in rendered
        assert "parley-1" not in rendered
        (prefix / "nginx.conf").write_text(rendered)
        result = subprocess.run(
            [nginx, "-t", "-p", str(prefix), "-e", str(prefix / "logs" / "error.log"), "-c", str(prefix / "nginx.conf")],
            capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
