#!/bin/sh
# Prints a GN scope with the cflags, libs and lib_dirs that
# pkg-config gives for the packages named in the arguments.
# Used by build/config/pkg_config.gni through exec_script().
set -eu
if ! pkg-config --exists "$@"; then
  echo "pkg_config.sh: pkg-config does not know: $*" >&2
  echo "pkg_config.sh: run 'make deps' (build/install-deps.sh) first" >&2
  exit 1
fi

list() {
  # Turns words into a GN list of strings, dropping a prefix.
  prefix=$1
  shift
  printf '['
  sep=''
  for w in "$@"; do
    printf '%s"%s"' "$sep" "${w#"$prefix"}"
    sep=', '
  done
  printf ']\n'
}

# shellcheck disable=SC2046
{
  # Headers of system packages are system headers: our warnings do not apply.
  printf 'cflags = '; list '' $(pkg-config --cflags-only-I "$@" | sed 's/-I/-isystem/g') \
    $(pkg-config --cflags-only-other "$@")
  printf 'libs = '; list -l $(pkg-config --libs-only-l "$@")
  printf 'lib_dirs = '; list -L $(pkg-config --libs-only-L "$@")
  printf 'ldflags = '; list '' $(pkg-config --libs-only-other "$@")
}
