#!/usr/bin/env python3
"""clang-tidy over our .cc files, with each file's clean verdict cached by content hash.

Run through scripts/tidy.sh, which configures the clang preset first. A file's key hashes the
clang-tidy version, .clang-tidy, the file's compile command and every file it includes (ours by
content; system headers under /usr by path, size and mtime, which a package upgrade changes).
A key that was clean before is not checked again; a changed file, header, flag or check is.
Keys live in ~/.cache/shoal/tidy/ (or $SHOAL_TIDY_CACHE); paths inside the checkout are hashed
relative to it, so worktrees and clones share verdicts.

To skip the preprocessor on a warm run, each file also keeps a manifest of the headers it
included last time (as ccache's direct mode does): if those headers hash to a clean key, the
include list cannot have changed either, since only a changed file can include a new one.
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time

TIDY = os.environ.get("CLANG_TIDY", "clang-tidy-14")
# path:line:col: warning|error: message [check-name(,-warnings-as-errors)]; a few diagnostics
# (on compiler-invented names) come without the location.
CHECK_AT_END = re.compile(r" \[([a-z][\w.\-]*(?:,-warnings-as-errors)?)\]$")
FINDING = re.compile(r"^(?:(.+?):(\d+):(\d+): )?(?:warning|error): (.*?)(?: \[([^\]]+)\])?$")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Hasher:
    """Hashes of dependency files, each computed once per run."""

    def __init__(self, root):
        self.root = root
        self.memo = {}

    def rel(self, path):
        if path.startswith(self.root + os.sep):
            return os.path.relpath(path, self.root)
        return path

    def of(self, path):
        if path not in self.memo:
            try:
                if path.startswith("/usr/"):
                    st = os.stat(path)
                    self.memo[path] = f"{st.st_size}:{st.st_mtime_ns}"
                else:
                    with open(path, "rb") as f:
                        self.memo[path] = sha256(f.read())
            except OSError:
                self.memo[path] = "missing"
        return self.memo[path]


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Tidy:
    def __init__(self, root, build, cache_dir, use_cache):
        self.root = root
        self.build = build
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.hasher = Hasher(root)
        with open(os.path.join(build, "compile_commands.json")) as f:
            self.commands = {os.path.realpath(os.path.join(e["directory"], e["file"])): e
                             for e in json.load(f)}
        version = subprocess.run([TIDY, "--version"], capture_output=True, text=True,
                                 check=True).stdout
        with open(os.path.join(root, ".clang-tidy"), "rb") as f:
            config = f.read()
        self.base_key = sha256(version.encode() + config)

    def argv(self, entry):
        if "arguments" in entry:
            return list(entry["arguments"])
        return shlex.split(entry["command"])

    def normalized_command(self, entry):
        return " ".join(self.argv(entry)).replace(self.root, ".")

    def includes(self, entry):
        """Every file the compile reads, from the preprocessor (`-M`)."""
        argv = self.argv(entry)
        out = []
        skip = False
        for a in argv:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MT", "-MQ"):
                skip = True
                continue
            if a in ("-c", "-MD", "-MMD", "-Werror") or a.startswith("-Werror="):
                continue
            out.append(a)
        res = subprocess.run(out + ["-M", "-MT", "x"], cwd=entry["directory"],
                             capture_output=True, text=True)
        if res.returncode != 0:
            return None
        text = res.stdout.replace("\\\n", " ")
        deps = text.split(":", 1)[1].split()
        return sorted({os.path.realpath(os.path.join(entry["directory"], d)) for d in deps})

    def key(self, command, deps):
        h = hashlib.sha256(self.base_key.encode())
        h.update(command.encode())
        for d in deps:
            h.update(f"\0{self.hasher.rel(d)}\0{self.hasher.of(d)}".encode())
        return h.hexdigest()

    def paths(self, rel, command):
        ident = sha256(f"{rel}\0{command}".encode())
        return (os.path.join(self.cache_dir, "manifest", ident[:2], ident),
                os.path.join(self.cache_dir, "clean"))

    def cached(self, path):
        """The clean key of `path` if its verdict is cached, else None; also the fresh deps."""
        entry = self.commands[path]
        rel = self.hasher.rel(path)
        command = self.normalized_command(entry)
        manifest, clean = self.paths(rel, command)
        if self.use_cache:
            try:
                with open(manifest) as f:
                    deps = [d if d.startswith("/") else os.path.join(self.root, d)
                            for d in json.load(f)]
                k = self.key(command, deps)
                if os.path.exists(os.path.join(clean, k[:2], k)):
                    return True, k
            except (OSError, ValueError):
                pass
        deps = self.includes(entry)
        if deps is None:
            return False, None
        write_atomic(manifest, json.dumps([self.hasher.rel(d) for d in deps]))
        k = self.key(command, deps)
        return self.use_cache and os.path.exists(os.path.join(clean, k[:2], k)), k

    def run(self, path):
        """clang-tidy on one file: (output, findings)."""
        res = subprocess.run([TIDY, "-p", self.build, "--quiet", path], cwd=self.root,
                             capture_output=True, text=True)
        findings = []
        lines = res.stdout.splitlines()
        for i, line in enumerate(lines):
            m = FINDING.match(line)
            if m:
                file, ln, col, msg, check = m.groups()
                # A message of several lines (the padding one) ends with the check's name.
                for later in lines[i + 1:i + 20]:
                    if check or FINDING.match(later):
                        break
                    check = CHECK_AT_END.search(later) and CHECK_AT_END.search(later).group(1)
                check = (check or "clang-diagnostic-error").split(",")[0]
                file = self.hasher.rel(os.path.realpath(file)) if file else self.hasher.rel(path)
                findings.append((file, int(ln or 0), int(col or 0), check, msg))
        if res.returncode != 0 and not findings:
            findings.append((self.hasher.rel(path), 0, 0, "clang-tidy-failed",
                             res.stderr.strip().splitlines()[-1:] or "exit " + str(res.returncode)))
        return res.stdout, findings

    def mark_clean(self, k):
        if k:
            write_atomic(os.path.join(self.cache_dir, "clean", k[:2], k), "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-cache", action="store_true", help="check every file; cache nothing")
    ap.add_argument("-j", type=int, default=int(os.environ.get("SHOAL_TIDY_JOBS", "2")))
    ap.add_argument("--build", default="build/clang")
    ap.add_argument("files", nargs="*", help="default: every .cc in src/")
    args = ap.parse_args()

    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    build = os.path.realpath(os.path.join(root, args.build))
    cache_dir = os.environ.get("SHOAL_TIDY_CACHE",
                               os.path.join(os.path.expanduser("~"), ".cache", "shoal", "tidy"))
    tidy = Tidy(root, build, cache_dir, not args.no_cache)

    if args.files:
        files = [os.path.realpath(f) for f in args.files]
    else:
        files = sorted(os.path.realpath(os.path.join(d, f))
                       for d, _, names in os.walk(os.path.join(root, "src"))
                       for f in names if f.endswith(".cc"))
    start = time.monotonic()
    findings = []
    missing = [f for f in files if f not in tidy.commands]
    for f in missing:
        findings.append((tidy.hasher.rel(f), 0, 0, "not-in-compile-commands",
                         "no compile command in " + args.build + " (add it to a CMakeLists.txt)"))
    files = [f for f in files if f in tidy.commands]

    cached = 0
    checked = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.j)) as pool:
        keys = dict(zip(files, pool.map(tidy.cached, files)))
        todo = [f for f in files if not keys[f][0]]
        cached = len(files) - len(todo)
        for f, (out, found) in zip(todo, pool.map(tidy.run, todo)):
            checked += 1
            if found:
                sys.stdout.write(out)
                findings.extend(found)
            elif not args.no_cache:
                tidy.mark_clean(keys[f][1])

    unique = sorted(set((f, ln, col, check) for f, ln, col, check, _ in findings))
    if unique:
        by_check = collections.Counter(c for _, _, _, c in unique)
        by_folder = collections.Counter(os.path.dirname(f) for f, _, _, _ in unique)
        print("\ntidy: findings by check:")
        for c, n in by_check.most_common():
            print(f"  {n:5d} {c}")
        print("tidy: findings by folder:")
        for d, n in by_folder.most_common():
            print(f"  {n:5d} {d}")
        for f in missing:
            print(f"tidy: {tidy.hasher.rel(f)}: not in {args.build}/compile_commands.json")
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"tidy: {len(files) + len(missing)} files: {checked} checked, {cached} cached, "
          f"{len(unique)} findings ({time.monotonic() - start:.0f} s wall, "
          f"{cpu.ru_utime + cpu.ru_stime:.0f} s cpu)")
    return 1 if unique else 0


if __name__ == "__main__":
    sys.exit(main())
