#!/bin/sh
# lambda-package.sh STAGE ZIP: packages STAGE/bootstrap (built by make lambda
# with RUNPATH $ORIGIN/lib) into ZIP for a provided.al2023 Lambda function:
#   bootstrap          mode 0755 in the archive (Lambda execs it)
#   lib/*.so*          every shared library it loads except glibc's own
#                      (Amazon Linux 2023 ships glibc 2.34)
# Lambda's LD_LIBRARY_PATH lists /lib64 and /usr/lib64 before
# /var/task/lib, so where the image has a library of the same soname its
# copy is used, and ours only fills the gaps (json-c, libjwt, ...).
# Prints the highest GLIBC_x.y symbol version the files need and fails when
# it is above what AL2023 has, since such a bootstrap could not start there.
set -eu

STAGE=${1:?usage: lambda-package.sh STAGE ZIP}
ZIP=${2:?usage: lambda-package.sh STAGE ZIP}
AL2023_GLIBC=2.34

rm -rf "$STAGE/lib"
mkdir -p "$STAGE/lib"
# glibc's libraries are the image's: never bundle them.
ldd "$STAGE/bootstrap" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
while read -r soname path; do
	case $soname in
	libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|ld-linux*|libutil.so.*|libanl.so.*) continue ;;
	esac
	cp -L "$path" "$STAGE/lib/$soname"
	chmod 0644 "$STAGE/lib/$soname"
done

need=$(for f in "$STAGE/bootstrap" "$STAGE"/lib/*; do
	objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' || true
done | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -u | tail -n 1)
echo "lambda-package.sh: $(ls "$STAGE/lib" | wc -l) libraries bundled; highest glibc symbol version needed: ${need:-none} (AL2023: $AL2023_GLIBC)"
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$AL2023_GLIBC" |
    sort -t. -k1,1n -k2,2n | tail -n 1)" != "$AL2023_GLIBC" ]; then
	echo "lambda-package.sh: needs glibc $need > $AL2023_GLIBC: build on Amazon Linux 2023 (see README \"AWS mode\")" >&2
	exit 1
fi

# A zip with the modes Lambda needs (python3's zipfile: no zip(1) needed).
python3 - "$STAGE" "$ZIP" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    names = ["bootstrap"] + ["lib/" + n for n in sorted(os.listdir(os.path.join(stage, "lib")))]
    for n in names:
        zi = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
        zi.external_attr = (0o100755 if n == "bootstrap" else 0o100644) << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(stage, n), "rb") as f:
            z.writestr(zi, f.read())
os.replace(tmp, out)
print("lambda-package.sh: wrote %s (%d files)" % (out, len(names)))
PY
