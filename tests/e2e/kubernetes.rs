//! `deploy/kubernetes/` checked offline (there is no cluster here): every manifest against
//! the Kubernetes API schemas with PyPI's `kubernetes-validate` (strict: no unknown field), in
//! a venv made once under the target dir, for the oldest and newest Kubernetes it knows; then
//! what no schema knows: the Indexed Job's N agrees with `--segments`, every pod writes its
//! own report on the volume the merge reads, the password comes from the Secret, and the
//! ConfigMap's swarm.toml is a plan the real `swarm` accepts.

use crate::cli::text;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use swarm_tests::{pip_venv, root, run_bounded, swarm, temp_dir};

/// The kubernetes-validate release the manifests are checked with.
const VALIDATE: &str = "1.37.0";

/// Prints the manifests' documents as JSON (PyYAML comes with kubernetes-validate).
const SCRIPT: &str = include_str!("kubernetes/manifests.py");

/// The venv's bin directory, creating the venv under the target dir on first use.
fn venv_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let python = pip_venv(
            &format!("kubernetes-validate-{VALIDATE}-venv"),
            &format!("kubernetes-validate=={VALIDATE}"),
        );
        python.parent().map(PathBuf::from).unwrap_or_default()
    })
    .clone()
}

/// `kubernetes-validate`, run as the venv's python module.
fn validate(bin: &std::path::Path) -> Command {
    let mut cmd = Command::new(bin.join("python"));
    cmd.args(["-m", "kubernetes_validate"]);
    cmd
}

fn manifests() -> Vec<PathBuf> {
    let dir = root().join("deploy").join("kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// The first document of `kind` named `name`.
fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .map(|d| &d["doc"])
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/kubernetes"))
}

/// The container's env var `name`.
fn env<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name}"))
}

/// Where the pod mounts the volume that holds `claim`.
fn mount_of(pod: &Value, claim: &str) -> String {
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim)
        .unwrap_or_else(|| panic!("no volume of claim {claim}"));
    pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume["name"])
        .and_then(|m| m["mountPath"].as_str())
        .unwrap()
        .to_owned()
}

#[test]
fn the_kubernetes_manifests_pass_the_api_schemas_and_agree_with_each_other() {
    let files = manifests();
    assert!(files.len() >= 5, "{files:?}");
    let bin = venv_bin();
    for version in ["1.29.0", VALIDATE] {
        let out = run_bounded(
            validate(&bin)
                .args(["--strict", "-k", version])
                .args(&files),
            Duration::from_secs(120),
        );
        assert!(
            out.status.success(),
            "Kubernetes {version}:\n{}",
            text(&out)
        );
    }
    // A broken manifest fails, so the check above can fail.
    let dir = temp_dir("kubernetes");
    let job_text = std::fs::read_to_string(root().join("deploy/kubernetes/job.yaml")).unwrap();
    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        job_text.replace("completions: 3", "completions: three"),
    )
    .unwrap();
    let out = run_bounded(
        validate(&bin).arg("--strict").arg(&broken),
        Duration::from_secs(120),
    );
    assert!(
        !out.status.success(),
        "a broken Job passed:\n{}",
        text(&out)
    );

    let script = dir.join("manifests.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = run_bounded(
        Command::new(bin.join("python")).arg(&script).args(&files),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", text(&out));
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();

    // The Indexed Job: N pods at once, never retried, N told to swarm.
    let job = find(&docs, "Job", "swarm-segments");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["parallelism"], spec["completions"]);
    assert_eq!(spec["backoffLimit"], 0, "a retried segment would run twice");
    let pod = &spec["template"]["spec"];
    let c = &pod["containers"][0];
    let n = spec["completions"].as_u64().unwrap();
    assert_eq!(env(c, "SWARM_SEGMENTS")["value"], n.to_string());
    assert_eq!(
        env(c, "JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(
        env(c, "SWARM_ADMIN_PASSWORD")["valueFrom"]["secretKeyRef"]["name"],
        find(&docs, "Secret", "swarm-admin")["metadata"]["name"]
    );
    // Each pod its own report, on the volume the merge reads every report from.
    let claim = find(&docs, "PersistentVolumeClaim", "swarm-reports");
    assert_eq!(claim["spec"]["accessModes"][0], "ReadWriteMany");
    let reports = mount_of(pod, "swarm-reports");
    assert_eq!(
        env(c, "SWARM_JSON")["value"],
        format!("{reports}/segment-$(JOB_COMPLETION_INDEX).json")
    );
    let merge = find(&docs, "Job", "swarm-merge");
    let merge_pod = &merge["spec"]["template"]["spec"];
    let merge_reports = mount_of(merge_pod, "swarm-reports");
    let merge_cmd = merge_pod["containers"][0]["args"][0].as_str().unwrap();
    assert!(
        merge_cmd.contains(&format!(
            "swarm report merge {merge_reports}/segment-*.json"
        )),
        "{merge_cmd}"
    );
    assert!(merge_cmd.contains("swarm report check"), "{merge_cmd}");
    // The run's id and start come from the swarm-run ConfigMap.
    let run = find(&docs, "ConfigMap", "swarm-run");
    assert_eq!(
        c["envFrom"][0]["configMapRef"]["name"],
        run["metadata"]["name"]
    );
    assert!(run["data"]["SWARM_RUN_ID"].is_string());
    // The plan: mounted where --config reads it, and a plan the real swarm accepts.
    let plan = find(&docs, "ConfigMap", "swarm-plan");
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let at = args
        .iter()
        .position(|a| *a == "--config")
        .expect("--config");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["configMap"]["name"] == plan["metadata"]["name"])
        .unwrap();
    let plan_mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume["name"])
        .and_then(|m| m["mountPath"].as_str())
        .unwrap();
    assert_eq!(args[at + 1], format!("{plan_mount}/swarm.toml"));
    let toml = dir.join("swarm.toml");
    std::fs::write(&toml, plan["data"]["swarm.toml"].as_str().unwrap()).unwrap();
    let mut cmd = swarm();
    cmd.args(&args[..at])
        .arg("--config")
        .arg(&toml)
        .arg("--print-config")
        .env("SWARM_SEGMENTS", n.to_string())
        .env("JOB_COMPLETION_INDEX", "0")
        .env(
            "SWARM_RUN_ID",
            run["data"]["SWARM_RUN_ID"].as_str().unwrap(),
        )
        .env(
            "SWARM_START_AT",
            run["data"]["SWARM_START_AT"].as_str().unwrap(),
        )
        .env("SWARM_ADMIN_PASSWORD", "x");
    let out = run_bounded(&mut cmd, Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("segments"), "{shown}");
}

/// docs/DISTRIBUTED.md names only files that exist and says plainly what was not possible here.
#[test]
fn the_distributed_guide_names_real_files_and_its_limits() {
    let doc = std::fs::read_to_string(root().join("docs/DISTRIBUTED.md")).unwrap();
    for word in doc.split(|c: char| c.is_whitespace() || "`()[]<>,".contains(c)) {
        if let Some(rest) = word.strip_prefix("deploy/kubernetes/") {
            let file = rest.trim_end_matches(['.', ':']);
            if !file.is_empty() {
                assert!(
                    root().join("deploy/kubernetes").join(file).exists(),
                    "docs/DISTRIBUTED.md names deploy/kubernetes/{file}, which does not exist"
                );
            }
        }
    }
    for plain in ["no cluster", "not built here"] {
        assert!(
            doc.contains(plain),
            "docs/DISTRIBUTED.md should say `{plain}`"
        );
    }
}
