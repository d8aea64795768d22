//! Running the steps: a command with its stdout and stderr merged, teed to
//! a log file, under a time limit, with a progress line when it starts and
//! ends; independent steps `--jobs` at a time; the record of every step for
//! the report.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// What a finished (or killed) command left behind.
#[derive(Debug)]
pub struct Outcome {
    /// Exited with status 0.
    pub ok: bool,
    /// Exit code, if it exited (not killed by a signal).
    pub code: Option<i32>,
    /// Killed because it ran past its time limit.
    pub timed_out: bool,
    /// Everything it printed, stdout and stderr interleaved as written.
    pub text: String,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Where the output was logged.
    pub log: PathBuf,
}

impl Outcome {
    /// A one-word summary for progress lines.
    pub fn verdict(&self) -> String {
        if self.timed_out {
            "timed out".into()
        } else if self.ok {
            "ok".into()
        } else {
            match self.code {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".into(),
            }
        }
    }
}

/// The start of a step: prints `==> name ...` and returns the clock.
pub fn begin(name: &str) -> Instant {
    println!("==> {name} ...");
    let _ = std::io::stdout().flush();
    Instant::now()
}

/// The end of a step: `<== name  12.3 s  result`.
pub fn end(name: &str, start: Instant, result: &str) {
    println!(
        "<== {name:<40} {:>7.1} s  {result}",
        start.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
}

/// Runs `cmd` (stdin closed, stdout+stderr merged into `log`), killing its
/// whole process group after `limit`. The output is also returned.
pub fn run(mut cmd: Command, log: &Path, limit: Duration) -> Outcome {
    let start = Instant::now();
    let failed = |why: String| Outcome {
        ok: false,
        code: None,
        timed_out: false,
        text: why,
        secs: start.elapsed().as_secs_f64(),
        log: log.to_path_buf(),
    };
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut file = match File::create(log) {
        Ok(f) => f,
        Err(e) => return failed(format!("cannot create {}: {e}", log.display())),
    };
    let _ = writeln!(file, "$ {}", describe(&cmd));
    let (reader, writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => return failed(format!("pipe: {e}")),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return failed(format!("pipe: {e}")),
    };
    cmd.stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0);
    let spawned = cmd.spawn();
    // Drop our copies of the pipe's write end, or the reader never sees EOF.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start: {e}")),
    };
    let tee = thread::spawn(move || {
        let mut text = String::new();
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let _ = file.write_all(&buf);
            text.push_str(&String::from_utf8_lossy(&buf));
            buf.clear();
        }
        let _ = file.flush();
        text
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if start.elapsed() > limit && !timed_out {
            timed_out = true;
            kill_group(child.id());
            let _ = child.kill();
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut text = tee.join().unwrap_or_default();
    if timed_out {
        text.push_str(&format!(
            "\nxtask: killed after the time limit of {} s\n",
            limit.as_secs()
        ));
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(log) {
            let _ = writeln!(
                f,
                "xtask: killed after the time limit of {} s",
                limit.as_secs()
            );
        }
    }
    Outcome {
        ok: !timed_out && status.is_some_and(|s| s.success()),
        code: status.and_then(|s| s.code()),
        timed_out,
        text,
        secs: start.elapsed().as_secs_f64(),
        log: log.to_path_buf(),
    }
}

/// SIGKILL to the process group `pgid`: cargo and the test binary it
/// started, which would otherwise run on (and hold the output pipe open).
/// Through libc because `kill -KILL -PGID` is parsed differently by
/// different `kill` programs (procps-ng 4 takes `-PGID` for an option).
fn kill_group(pgid: u32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    if let Ok(pgid) = i32::try_from(pgid)
        && pgid > 1
    {
        // SAFETY: kill(2) takes two integers and touches no memory of ours;
        // `-pgid` (pgid > 1) names only the group `run` created for the step.
        unsafe {
            kill(-pgid, SIGKILL);
        }
    }
}

/// The first line of what `cmd` prints on stdout, if it exits 0.
pub fn first_line(mut cmd: Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

/// `KEY=value ... program args`, for logs and replay hints.
pub fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            let v = v.to_string_lossy();
            if v.contains(' ') {
                s.push_str(&format!("{}=\"{v}\" ", k.to_string_lossy()));
            } else {
                s.push_str(&format!("{}={v} ", k.to_string_lossy()));
            }
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// One line of the steps table.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The step's name.
    pub name: String,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Its result ("ok", "exit 101", "skipped (why)", …).
    pub result: String,
    /// Whether it went as expected.
    pub ok: bool,
    /// Its log, relative to the repository root.
    pub log: Option<PathBuf>,
}

/// The steps of a run: where their logs go, and what each did.
pub struct Steps {
    /// The log directory (relative to the repository root, the working
    /// directory of xtask).
    pub logs: PathBuf,
    /// Independent steps run this many at a time.
    pub jobs: usize,
    /// Every step so far, in order.
    pub records: Vec<StepRecord>,
}

/// A step: its name, command and time limit.
pub struct Spec {
    /// The step's name (and its log's).
    pub name: String,
    /// What it runs.
    pub cmd: Command,
    /// When to kill it.
    pub limit: Duration,
}

impl Steps {
    /// The log file of a step.
    pub fn log(&self, step: &str) -> PathBuf {
        let name: String = step
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.logs.join(format!("{name}.log"))
    }

    /// Runs one step with progress lines; records it.
    pub fn run(&mut self, spec: Spec) -> Outcome {
        let t = begin(&spec.name);
        let o = run(spec.cmd, &self.log(&spec.name), spec.limit);
        end(&spec.name, t, &shown(&o));
        self.record(&spec.name, &o);
        o
    }

    /// Runs independent steps `jobs` at a time (each model checker is
    /// single-threaded); outcomes in the order given.
    pub fn parallel(&mut self, specs: Vec<Spec>) -> Vec<Outcome> {
        let n = specs.len();
        let queue: Mutex<VecDeque<(usize, Spec, PathBuf)>> = Mutex::new(
            specs
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let log = self.log(&s.name);
                    (i, s, log)
                })
                .collect(),
        );
        let done: Mutex<Vec<Option<(String, Outcome)>>> =
            Mutex::new((0..n).map(|_| None).collect());
        thread::scope(|s| {
            for _ in 0..self.jobs.clamp(1, n.max(1)) {
                s.spawn(|| {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some((i, spec, log)) = next else {
                            break;
                        };
                        let t = begin(&spec.name);
                        let o = run(spec.cmd, &log, spec.limit);
                        end(&spec.name, t, &shown(&o));
                        done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((spec.name, o));
                    }
                });
            }
        });
        let done = done.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(n);
        for (name, o) in done.into_iter().flatten() {
            self.record(&name, &o);
            out.push(o);
        }
        out
    }

    /// Records a step that did not run.
    pub fn skipped(&mut self, name: &str, why: &str) {
        println!("<== {name:<40} {:>7} s  skipped ({why})", "-");
        self.records.push(StepRecord {
            name: name.into(),
            secs: 0.0,
            result: format!("skipped ({why})"),
            ok: true,
            log: None,
        });
    }

    /// Records a finished step.
    pub fn record(&mut self, name: &str, o: &Outcome) {
        self.records.push(StepRecord {
            name: name.into(),
            secs: o.secs,
            result: o.verdict(),
            ok: o.ok,
            log: Some(o.log.clone()),
        });
    }
}

/// A step's result for its progress line, with the log if it failed.
fn shown(o: &Outcome) -> String {
    if o.ok {
        o.verdict()
    } else {
        format!("{} (log: {})", o.verdict(), o.log.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("xtask-steps-{}-{name}.log", std::process::id()))
    }

    #[test]
    fn output_is_teed_and_the_exit_code_kept() {
        let log = log_path("exit");
        let mut c = Command::new("sh");
        c.args(["-c", "echo out; echo err >&2; exit 3"]);
        let o = run(c, &log, Duration::from_secs(30));
        assert!(!o.ok && !o.timed_out);
        assert_eq!((o.code, o.verdict().as_str()), (Some(3), "exit 3"));
        assert!(o.text.contains("out\n") && o.text.contains("err\n"));
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.starts_with("$ sh -c"), "{logged}");
        assert!(logged.contains("err\n"));
        let _ = std::fs::remove_file(log);
    }

    #[test]
    fn a_step_past_its_limit_is_killed_with_its_children() {
        let log = log_path("limit");
        let mut c = Command::new("sh");
        // The child `sleep` holds the pipe open: only a group kill ends it.
        c.args(["-c", "echo started; sleep 30; echo never"]);
        let start = Instant::now();
        let o = run(c, &log, Duration::from_millis(300));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(o.timed_out && !o.ok);
        assert_eq!(o.verdict(), "timed out");
        assert!(o.text.contains("started"));
        assert!(!o.text.contains("never"));
        assert!(o.text.contains("xtask: killed after the time limit of 0 s"));
        let _ = std::fs::remove_file(log);
    }

    #[test]
    fn a_missing_program_is_a_failed_step() {
        let o = run(
            Command::new("/nonexistent/xtask-program"),
            &log_path("missing"),
            Duration::from_secs(1),
        );
        assert!(!o.ok);
        assert!(o.text.starts_with("cannot start: "), "{}", o.text);
    }
}
