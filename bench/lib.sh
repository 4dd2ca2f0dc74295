# Shared by the bench/*.sh judges (source it): tools they need, and peak memory of a command.
# Installs hyperfine and GNU time from Debian when they are missing.
need() { # need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return
  echo "installing $2 from Debian" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
need hyperfine hyperfine
[ -x /usr/bin/time ] || need /usr/bin/time time

# peak_rss_mb <runs> <command...>: the median of the peak resident set sizes (MB) of <runs> runs.
peak_rss_mb() {
  local runs="$1" out kb=()
  shift
  out="$(mktemp)"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f %M -o "$out" "$@" >/dev/null 2>&1 || true
    kb+=("$(tail -1 "$out")")
  done
  rm -f "$out"
  printf '%s\n' "${kb[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f\n", v[int((NR + 1) / 2)] / 1024 }'
}
