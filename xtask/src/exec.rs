//! Running a command with its stdout and stderr merged, teed to a log file,
//! under a time limit, with a progress line when it starts and ends.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
            // The whole group: cargo and the test binary it started.
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
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

/// Whether `cmd` runs and exits 0 (output discarded); for tool detection.
pub fn succeeds(mut cmd: Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
