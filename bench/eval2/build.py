#!/usr/bin/env python3
"""Build the held-out retrieval evaluation corpus (bench/eval2) from pinned Debian 12 packages.

Usage (from the repository root or anywhere):

    python3 bench/eval2/build.py [--cache DIR] [--mirror URL] [--out DIR] [--keep-corpus]

What it does:

1. Downloads the pinned .deb files listed in PACKAGES (Debian 12 "bookworm", main) from the
   mirror (default http://deb.debian.org/debian) into a cache folder, and checks the sha256 of
   each one against the pin. A download whose hash differs is refused.
2. Reads each .deb with Python alone: a .deb is an `ar` archive; its data.tar.xz (or .gz, or
   .zst, which needs the `zstd` program) is opened with tarfile.
3. Writes the files named in SPEC into OUT/corpus/:
   * how=copy: the file as shipped (a `.gz` is decompressed when the corpus name drops `.gz`);
   * how=man:  the man page rendered as plain text with `man -l PAGE | col -bx`
               (MANWIDTH=80, LC_ALL=C.UTF-8);
   * how=docx / how=odt: an office file made from the shipped HTML page by this script's own
               small converter (headings, paragraphs, list items and preformatted blocks;
               no LibreOffice needed). The HTML itself is not in the corpus.
4. Writes OUT/manifest.tsv (the same columns as the developers' set) and packs
   OUT/corpus.tar.gz deterministically (sorted names, fixed mtime, uid/gid 0, no user or group
   names, gzip header without name or time), then prints its sha256.

External tools:

* `man` (man-db), `groff` and `col` (bsdextrautils) are needed for the how=man files. The
  pinned sha256 of the corpus was made on Debian 12 with man-db 2.11.2 and groff 1.22.4; another
  groff version may break lines differently, which changes those files' hashes (the script then
  says which files differ from the recorded manifest).
* `zstd` only if a package uses data.tar.zst (none of the pinned ones does).
* pypdfium2 (in the repository's .venv) is used only to count the text characters of the PDFs
  for manifest.tsv; without it text_chars is left empty for them and a warning is printed.

When a pinned version leaves the main archive after a point release, point --mirror at a
snapshot, for example http://snapshot.debian.org/archive/debian/20250801T000000Z/ (the sha256
pins make sure the same files are used).
"""
import argparse
import gzip
import hashlib
import html
import html.parser
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_MTIME = 1686355200  # 2023-06-10 00:00:00 UTC, the Debian 12 release day
ZIP_DATE = (2023, 6, 10, 0, 0, 0)

# (package, version, path in the archive, sha256 of the .deb)
PACKAGES = [
    ('apache2-doc', '2.4.68-1~deb12u1', 'pool/main/a/apache2/apache2-doc_2.4.68-1~deb12u1_all.deb', 'cee8fe80ffb5de2744cd690c3d795b489e43a1c44c4e3a634c521642f22d7835'),
    ('aptitude-doc-es', '0.8.13-5', 'pool/main/a/aptitude/aptitude-doc-es_0.8.13-5_all.deb', 'a4245500fe3b449791a9f5910869b4bec4cc7e55e108b28fd03a55737687a917'),
    ('aptitude-doc-fr', '0.8.13-5', 'pool/main/a/aptitude/aptitude-doc-fr_0.8.13-5_all.deb', 'a6cf16d609a3872f32ec6c3b93f60f0bbb353e80f25a2b2b11ef3844db6787d2'),
    ('aptitude-doc-it', '0.8.13-5', 'pool/main/a/aptitude/aptitude-doc-it_0.8.13-5_all.deb', 'f98ba70ccae5da7a28928416aaefd469efd55d68b456d138a2a4111f4a0b5695'),
    ('aptitude-doc-ja', '0.8.13-5', 'pool/main/a/aptitude/aptitude-doc-ja_0.8.13-5_all.deb', '070ec003bdad1d3074c7cb012b0003f7379d7dce636f342705be4e2231072b45'),
    ('aptitude-doc-ru', '0.8.13-5', 'pool/main/a/aptitude/aptitude-doc-ru_0.8.13-5_all.deb', '0d38f3888b2510d2a294ff32622fce0af44a1bdc0f8f1979165301dffde14ba2'),
    ('bash-doc', '5.2.15-2', 'pool/main/b/bash/bash-doc_5.2.15-2_all.deb', '2c1a353f7004d14ba81db19c253b958d2dd9582027650739c530fd50376a9d8b'),
    ('bc', '1.07.1-3+b1', 'pool/main/b/bc/bc_1.07.1-3+b1_amd64.deb', 'baaa4e935c5e3bcd57d4f2f4e7a1ddc67bd4eb8629d98f97a696548849ae01ac'),
    ('debhelper', '13.11.4', 'pool/main/d/debhelper/debhelper_13.11.4_all.deb', 'bd764e98a9204a4b6b2d9e7b461c50fdae579314309804baff93d21e0498b64b'),
    ('debianutils', '5.7-0.5~deb12u1', 'pool/main/d/debianutils/debianutils_5.7-0.5~deb12u1_amd64.deb', '55f951359670eb3236c9e2ccd5fac9ccb3db734f5a22aff21589e7a30aee48c9'),
    ('devscripts', '2.23.4+deb12u2', 'pool/main/d/devscripts/devscripts_2.23.4+deb12u2_amd64.deb', 'e80e4f4761f8098f4f419130caf6062f4fe68049058eb8794f3668ac565c45c3'),
    ('docutils-doc', '0.19+dfsg-6', 'pool/main/p/python-docutils/docutils-doc_0.19+dfsg-6_all.deb', 'c25ac5cd1404d68f04ae501bca28b9961416c94889fd9515a749f2fc643c9b93'),
    ('elpa-dpkg-dev-el', '37.9', 'pool/main/d/dpkg-dev-el/elpa-dpkg-dev-el_37.9_all.deb', '5792f9b35ceaa22a44acd0e31b80a425c8fde770466b04552c4bc9576cfeb575'),
    ('fd-find', '8.6.0-3', 'pool/main/r/rust-fd-find/fd-find_8.6.0-3_amd64.deb', '1c0af4b1c6727ee8a8cc3a674cce7919aeb070d7017620d8fdc528739cefb333'),
    ('fzf', '0.38.0-1+b1', 'pool/main/f/fzf/fzf_0.38.0-1+b1_amd64.deb', '5dddf8e2bd85956dc037711fbc9ee081cac81254cf706895c625cf9393140005'),
    ('gawk', '1:5.2.1-2', 'pool/main/g/gawk/gawk_5.2.1-2_amd64.deb', '9cd63c1b35ff082092c221a23dcb167f72c4d1c3de3a42e11f16181f42ab3b55'),
    ('glpk-doc', '5.0-1', 'pool/main/g/glpk/glpk-doc_5.0-1_all.deb', '2ad3ce3e0efbf906e5874ba1e6fcc8477361e881890e4775f07c92a01c4156df'),
    ('golang-github-spf13-pflag-dev', '1.0.6~git20210604-d5e0c0615ace-1', 'pool/main/g/golang-github-spf13-pflag/golang-github-spf13-pflag-dev_1.0.6~git20210604-d5e0c0615ace-1_all.deb', 'bd1c3c2a3e47512a64da02ebea900eb5a3f3c5d386e559d5718a3a935c0ea570'),
    ('graphviz-doc', '2.42.2-7+deb12u1', 'pool/main/g/graphviz/graphviz-doc_2.42.2-7+deb12u1_all.deb', '7239f310587c7ae772bdb3775eeddb2bd82a2c2c3c4326578b906a667c439474'),
    ('latexmk', '1:4.79-1', 'pool/main/l/latexmk/latexmk_4.79-1_all.deb', 'db94dfc3497d769a1dc250b88e7ca15bb2a4b58fcf30f2a96e86ce65078b6dc5'),
    ('libcurl4-doc', '7.88.1-10+deb12u15', 'pool/main/c/curl/libcurl4-doc_7.88.1-10+deb12u15_all.deb', '34fe1d613c249a9f02696777cbc06f95c50ea030413d596262f3a03aaf12eb62'),
    ('libpam-doc', '1.5.2-6+deb12u2', 'pool/main/p/pam/libpam-doc_1.5.2-6+deb12u2_all.deb', '78b9a83729181296831bc3922935f8af47a6614c9989e4308bfac2dbd7189d80'),
    ('lua-penlight', '1.13.1-3', 'pool/main/l/lua-penlight/lua-penlight_1.13.1-3_all.deb', '69918434ee650d06aa470d49ba05a1a16ae43e66b8216e135cc5075f7d5d9ff3'),
    ('lynx-common', '2.9.0dev.12-1', 'pool/main/l/lynx/lynx-common_2.9.0dev.12-1_all.deb', '3018c15ba98c9fc934ab86202f13b7af9066f742d5959c6c14ee98d6cac9fbe6'),
    ('man-db', '2.11.2-2', 'pool/main/m/man-db/man-db_2.11.2-2_amd64.deb', '4134d16ea0233ebe78b2d1d271194fcf49a69eb2850421b0f3d76055e221fcea'),
    ('manpages-ja', '0.5.0.0.20221215+dfsg-1', 'pool/main/m/manpages-ja/manpages-ja_0.5.0.0.20221215+dfsg-1_all.deb', '4d270e9a1e83be4de0c072a110892a17dc9caa4b501257324006ac28d82c5743'),
    ('manpages-zh', '1.6.4.0-1', 'pool/main/m/manpages-zh/manpages-zh_1.6.4.0-1_all.deb', '81bae29495f6445db290e3f329f1203eb19b651c2a7ea165b74ebdc853a32ac1'),
    ('mutt', '2.2.12-0.1~deb12u1', 'pool/main/m/mutt/mutt_2.2.12-0.1~deb12u1_amd64.deb', 'fadc0196d1862176f07bcb2f31ca18f9c777a6854a6e99d43d3d585bca04c6f0'),
    ('node-mime', '3.0.0+dfsg+~cs3.97.1-1', 'pool/main/n/node-mime/node-mime_3.0.0+dfsg+~cs3.97.1-1_all.deb', '322572e9778363ecb7a5c7ee91c37476d22631eed8044dc2ff323705d2aac257'),
    ('node-ms', '2.1.3+~cs0.7.31-3', 'pool/main/n/node-ms/node-ms_2.1.3+~cs0.7.31-3_all.deb', '71c9a9f8b53cc1545b88735dc4f487f2deb2b5a423cbd95144ea18d1c3187de7'),
    ('po4a', '0.69-1', 'pool/main/p/po4a/po4a_0.69-1_all.deb', '7cfbdea03bccc46cd82959116609d33ebfc6505228d1d7b93e9cebbcb9c4091d'),
    ('python-click-doc', '8.1.3-2', 'pool/main/p/python-click/python-click-doc_8.1.3-2_all.deb', '066092b0299a04c2588e5f2e9dc37a8d8ed7a4c4eeb7cd3175ebfcfce24a8943'),
    ('rsync', '3.2.7-1+deb12u6', 'pool/main/r/rsync/rsync_3.2.7-1+deb12u6_amd64.deb', 'ce99de6b36cbb62dc614a73463e467f2c1ef509545a9a2b33cab19b50530b672'),
    ('ruby-rainbow', '3.1.1-1', 'pool/main/r/ruby-rainbow/ruby-rainbow_3.1.1-1_all.deb', '2622878a284e31706aec0bfe774604a3d08a4795544ea2c2e928c533e0e5d665'),
    ('sqlite3-doc', '3.40.1-2+deb12u2', 'pool/main/s/sqlite3/sqlite3-doc_3.40.1-2+deb12u2_all.deb', '466e30d7066e2641fa13e56bc662a2ad521b8cc9c17dde9c9dac3d4f105e32f2'),
    ('tcllib', '1.21+dfsg-1', 'pool/main/t/tcllib/tcllib_1.21+dfsg-1_all.deb', '6bf4cbb66b52d47dcf02e8de4469597d25dc475668d49f8b7f3f3135e3eb2d08'),
    ('tcsh', '6.24.07-1', 'pool/main/t/tcsh/tcsh_6.24.07-1_amd64.deb', '9fd93ff2618f088ab35f6f17c826bb11b336c70cdef78ee0be03e4adae877bc2'),
    ('units', '2.22-2', 'pool/main/u/units/units_2.22-2_amd64.deb', '6e7a5b80176819c8a13e6e539df03a9a3565300001d72048190c98e627208978'),
    ('vim-airline', '0.11-2', 'pool/main/v/vim-airline/vim-airline_0.11-2_all.deb', 'f702b8b1a032a023cf8a30381b28e395ce3764021ee0b9e096d8ae14636dee84'),
    ('vim-tabular', '1.0-8', 'pool/main/v/vim-tabular/vim-tabular_1.0-8_all.deb', 'c8cee2a294f775b591ad757074aad8515e302205fc81364f9e4955443c7d8e63'),
    ('zsh-doc', '5.9-4', 'pool/main/z/zsh/zsh-doc_5.9-4_all.deb', '79bd75df4bf03d1021e993fd773f82b8a4c8d76649e420cd32eca940cf418ff4'),
]

# relpath <TAB> package <TAB> path inside the package <TAB> how <TAB> format <TAB> language
SPEC = """
# relpath	package	source_path	how
# --- HTML: SQLite docs
docs/sqlite/lang_upsert.html	sqlite3-doc	/usr/share/doc/sqlite3/lang_upsert.html	copy	html	en
docs/sqlite/lang_savepoint.html	sqlite3-doc	/usr/share/doc/sqlite3/lang_savepoint.html	copy	html	en
docs/sqlite/lang_returning.html	sqlite3-doc	/usr/share/doc/sqlite3/lang_returning.html	copy	html	en
docs/sqlite/lang_vacuum.html	sqlite3-doc	/usr/share/doc/sqlite3/lang_vacuum.html	copy	html	en
docs/sqlite/lang_attach.html	sqlite3-doc	/usr/share/doc/sqlite3/lang_attach.html	copy	html	en
docs/sqlite/inmemorydb.html	sqlite3-doc	/usr/share/doc/sqlite3/inmemorydb.html	copy	html	en
docs/sqlite/stricttables.html	sqlite3-doc	/usr/share/doc/sqlite3/stricttables.html	copy	html	en
docs/sqlite/gencol.html	sqlite3-doc	/usr/share/doc/sqlite3/gencol.html	copy	html	en
docs/sqlite/partialindex.html	sqlite3-doc	/usr/share/doc/sqlite3/partialindex.html	copy	html	en
docs/sqlite/csv.html	sqlite3-doc	/usr/share/doc/sqlite3/csv.html	copy	html	en
docs/sqlite/backup.html	sqlite3-doc	/usr/share/doc/sqlite3/backup.html	copy	html	en
docs/sqlite/wal.html	sqlite3-doc	/usr/share/doc/sqlite3/wal.html	copy	html	en
docs/office/sqlite-quirks.docx	sqlite3-doc	/usr/share/doc/sqlite3/quirks.html	docx	docx	en
# --- HTML: Apache httpd manual (English and translations)
docs/apache/en/mod_ratelimit.html	apache2-doc	/usr/share/doc/apache2-doc/manual/en/mod/mod_ratelimit.html	copy	html	en
docs/apache/en/mod_reqtimeout.html	apache2-doc	/usr/share/doc/apache2-doc/manual/en/mod/mod_reqtimeout.html	copy	html	en
docs/apache/en/http2.html	apache2-doc	/usr/share/doc/apache2-doc/manual/en/howto/http2.html	copy	html	en
docs/apache/en/mod_speling.html	apache2-doc	/usr/share/doc/apache2-doc/manual/en/mod/mod_speling.html	copy	html	en
docs/apache/fr/mod_macro.html	apache2-doc	/usr/share/doc/apache2-doc/manual/fr/mod/mod_macro.html	copy	html	fr
docs/apache/fr/reverse_proxy.html	apache2-doc	/usr/share/doc/apache2-doc/manual/fr/howto/reverse_proxy.html	copy	html	fr
docs/apache/fr/htpasswd.html	apache2-doc	/usr/share/doc/apache2-doc/manual/fr/programs/htpasswd.html	copy	html	fr
docs/apache/de/name-based.html	apache2-doc	/usr/share/doc/apache2-doc/manual/de/vhosts/name-based.html	copy	html	de
docs/apache/ja/htaccess.html	apache2-doc	/usr/share/doc/apache2-doc/manual/ja/howto/htaccess.html	copy	html	ja
docs/apache/ko/ssi.html	apache2-doc	/usr/share/doc/apache2-doc/manual/ko/howto/ssi.html	copy	html	ko
docs/apache/tr/rotatelogs.html	apache2-doc	/usr/share/doc/apache2-doc/manual/tr/programs/rotatelogs.html	copy	html	tr
docs/apache/es/public_html.html	apache2-doc	/usr/share/doc/apache2-doc/manual/es/howto/public_html.html	copy	html	es
docs/apache/zh-cn/handler.html	apache2-doc	/usr/share/doc/apache2-doc/manual/zh-cn/handler.html	copy	html	zh
docs/apache/pt-br/new_features_2_2.html	apache2-doc	/usr/share/doc/apache2-doc/manual/pt-br/new_features_2_2.html	copy	html	pt
docs/apache/ru/getting-started.html	apache2-doc	/usr/share/doc/apache2-doc/manual/ru/getting-started.html	copy	html	ru
# --- HTML: Linux-PAM System Administrators' Guide
docs/pam/sag-pam_mkhomedir.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_mkhomedir.html	copy	html	en
docs/pam/sag-pam_pwhistory.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_pwhistory.html	copy	html	en
docs/pam/sag-pam_nologin.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_nologin.html	copy	html	en
docs/pam/sag-pam_time.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_time.html	copy	html	en
docs/pam/sag-pam_wheel.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_wheel.html	copy	html	en
docs/pam/sag-pam_faildelay.html	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_faildelay.html	copy	html	en
docs/office/pam-limits.docx	libpam-doc	/usr/share/doc/libpam-doc/html/sag-pam_limits.html	docx	docx	en
# --- HTML: aptitude user's manual translations
docs/aptitude/fr/ch02s06.html	aptitude-doc-fr	/usr/share/doc/aptitude/html/fr/ch02s06.html	copy	html	fr
docs/aptitude/fr/ch02s02s05.html	aptitude-doc-fr	/usr/share/doc/aptitude/html/fr/ch02s02s05.html	copy	html	fr
docs/aptitude/es/ch02s05s06.html	aptitude-doc-es	/usr/share/doc/aptitude/html/es/ch02s05s06.html	copy	html	es
docs/aptitude/ja/pr01s02.html	aptitude-doc-ja	/usr/share/doc/aptitude/html/ja/pr01s02.html	copy	html	ja
docs/aptitude/ru/ch02s01s04.html	aptitude-doc-ru	/usr/share/doc/aptitude/html/ru/ch02s01s04.html	copy	html	ru
docs/office/aptitude-compilare-sorgenti.it.odt	aptitude-doc-it	/usr/share/doc/aptitude/html/it/pr01s04s02.html	odt	odt	it
# --- HTML: zsh manual (content pages and texinfo redirect stubs)
docs/zsh/Arithmetic-Evaluation.html	zsh-doc	/usr/share/doc/zsh-common/html/Arithmetic-Evaluation.html	copy	html	en
docs/zsh/Conditional-Expressions.html	zsh-doc	/usr/share/doc/zsh-common/html/Conditional-Expressions.html	copy	html	en
docs/zsh/Command-Execution.html	zsh-doc	/usr/share/doc/zsh-common/html/Command-Execution.html	copy	html	en
docs/zsh/Arithmetic-Expansion.html	zsh-doc	/usr/share/doc/zsh-common/html/Arithmetic-Expansion.html	copy	html	en
docs/zsh/Brace-Expansion.html	zsh-doc	/usr/share/doc/zsh-common/html/Brace-Expansion.html	copy	html	en
docs/zsh/Filename-Generation.html	zsh-doc	/usr/share/doc/zsh-common/html/Filename-Generation.html	copy	html	en
docs/zsh/Array-Parameters.html	zsh-doc	/usr/share/doc/zsh-common/html/Array-Parameters.html	copy	html	en
docs/zsh/Completion-Directories.html	zsh-doc	/usr/share/doc/zsh-common/html/Completion-Directories.html	copy	html	en
docs/zsh/Aliasing.html	zsh-doc	/usr/share/doc/zsh-common/html/Aliasing.html	copy	html	en
# --- PDF
docs/pdf/graphviz/tred.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/tred.1.pdf.gz	copy	pdf	en
docs/pdf/graphviz/unflatten.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/unflatten.1.pdf.gz	copy	pdf	en
docs/pdf/graphviz/ccomps.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/ccomps.1.pdf.gz	copy	pdf	en
docs/pdf/graphviz/gvpack.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/gvpack.1.pdf.gz	copy	pdf	en
docs/pdf/graphviz/dijkstra.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/dijkstra.1.pdf.gz	copy	pdf	en
docs/pdf/graphviz/acyclic.1.pdf	graphviz-doc	/usr/share/doc/graphviz/pdf/acyclic.1.pdf.gz	copy	pdf	en
docs/pdf/glpk/cnfsat.pdf	glpk-doc	/usr/share/doc/glpk-doc/cnfsat.pdf	copy	pdf	en
# --- reStructuredText: Docutils docs (.txt is reST source) and Click docs sources
docs/docutils/cheatsheet.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/user/rst/cheatsheet.txt	copy	rst	en
docs/docutils/smartquotes.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/user/smartquotes.txt	copy	rst	en
docs/docutils/manpage.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/user/manpage.txt	copy	rst	en
docs/docutils/html.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/user/html.txt	copy	rst	en
docs/docutils/i18n.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/howto/i18n.txt	copy	rst	en
docs/docutils/security.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/howto/security.txt	copy	rst	en
docs/docutils/rst-roles.txt	docutils-doc	/usr/share/doc/docutils-doc/docs/howto/rst-roles.txt	copy	rst	en
docs/click/prompts.rst.txt	python-click-doc	/usr/share/doc/python-click-doc/html/_sources/prompts.rst.txt	copy	rst	en
docs/click/testing.rst.txt	python-click-doc	/usr/share/doc/python-click-doc/html/_sources/testing.rst.txt	copy	rst	en
docs/click/unicode-support.rst.txt	python-click-doc	/usr/share/doc/python-click-doc/html/_sources/unicode-support.rst.txt	copy	rst	en
docs/click/exceptions.rst.txt	python-click-doc	/usr/share/doc/python-click-doc/html/_sources/exceptions.rst.txt	copy	rst	en
docs/click/setuptools.rst.txt	python-click-doc	/usr/share/doc/python-click-doc/html/_sources/setuptools.rst.txt	copy	rst	en
# --- Markdown
notes/curl/HSTS.md	libcurl4-doc	/usr/share/doc/libcurl4/HSTS.md	copy	markdown	en
notes/curl/ALTSVC.md	libcurl4-doc	/usr/share/doc/libcurl4/ALTSVC.md	copy	markdown	en
notes/curl/PARALLEL-TRANSFERS.md	libcurl4-doc	/usr/share/doc/libcurl4/PARALLEL-TRANSFERS.md	copy	markdown	en
notes/curl/MQTT.md	libcurl4-doc	/usr/share/doc/libcurl4/MQTT.md	copy	markdown	en
notes/curl/HTTP3.md	libcurl4-doc	/usr/share/doc/libcurl4/HTTP3.md.gz	copy	markdown	en
notes/curl/URL-SYNTAX.md	libcurl4-doc	/usr/share/doc/libcurl4/URL-SYNTAX.md.gz	copy	markdown	en
notes/curl/SSLCERTS.md	libcurl4-doc	/usr/share/doc/libcurl4/SSLCERTS.md.gz	copy	markdown	en
notes/curl/HTTP-COOKIES.md	libcurl4-doc	/usr/share/doc/libcurl4/HTTP-COOKIES.md.gz	copy	markdown	en
notes/curl/BUG-BOUNTY.md	libcurl4-doc	/usr/share/doc/libcurl4/BUG-BOUNTY.md	copy	markdown	en
notes/curl/EARLY-RELEASE.md	libcurl4-doc	/usr/share/doc/libcurl4/EARLY-RELEASE.md	copy	markdown	en
notes/curl/DEPRECATE.md	libcurl4-doc	/usr/share/doc/libcurl4/DEPRECATE.md	copy	markdown	en
notes/curl/WEBSOCKET.md	libcurl4-doc	/usr/share/doc/libcurl4/WEBSOCKET.md.gz	copy	markdown	en
notes/curl/TheArtOfHttpScripting.md	libcurl4-doc	/usr/share/doc/libcurl4/TheArtOfHttpScripting.md.gz	copy	markdown	en
notes/curl/examples-README.md	libcurl4-doc	/usr/share/doc/libcurl4/examples/README.md	copy	markdown	en
notes/vim-tabular/README.md	vim-tabular	/usr/share/doc/vim-tabular/README.md	copy	markdown	en
notes/vim-airline/README.md	vim-airline	/usr/share/doc/vim-airline/README.md.gz	copy	markdown	en
notes/node-ms/readme.md	node-ms	/usr/share/doc/node-ms/readme.md	copy	markdown	en
notes/node-mime/README.md	node-mime	/usr/share/doc/node-mime/README.md.gz	copy	markdown	en
notes/ruby-rainbow/README.markdown	ruby-rainbow	/usr/share/doc/ruby-rainbow/README.markdown.gz	copy	markdown	en
notes/bash/shellmath-README.md	bash-doc	/usr/share/doc/bash/examples/shellmath/README.md	copy	markdown	en
# --- plain text notes
notes/bc/README	bc	/usr/share/doc/bc/README	copy	text	en
notes/gawk/README	gawk	/usr/share/doc/gawk/README	copy	text	en
notes/gawk/POSIX.STD	gawk	/usr/share/doc/gawk/POSIX.STD	copy	text	en
notes/tcsh/FAQ	tcsh	/usr/share/doc/tcsh/FAQ.gz	copy	text	en
notes/tcsh/csh-whynot	tcsh	/usr/share/doc/tcsh/csh-whynot.gz	copy	text	en
notes/units/README	units	/usr/share/doc/units/README.gz	copy	text	en
notes/mutt/PGP-Notes.txt	mutt	/usr/share/doc/mutt/PGP-Notes.txt.gz	copy	text	en
notes/mutt/README.SMIME	mutt	/usr/share/doc/mutt/README.SMIME	copy	text	en
notes/mutt/README.Debian	mutt	/usr/share/doc/mutt/README.Debian	copy	text	en
notes/lynx/README.cookies	lynx-common	/usr/share/doc/lynx-common/docs/README.cookies	copy	text	en
notes/lynx/README.sslcerts	lynx-common	/usr/share/doc/lynx-common/docs/README.sslcerts.gz	copy	text	en
notes/lynx/README.rootcerts	lynx-common	/usr/share/doc/lynx-common/docs/README.rootcerts.gz	copy	text	en
notes/curl/KNOWN_BUGS	libcurl4-doc	/usr/share/doc/libcurl4/KNOWN_BUGS.gz	copy	text	en
notes/vim-tabular/Tabular.txt	vim-tabular	/usr/share/vim-tabular/doc/Tabular.txt	copy	text	en
notes/latexmk/README	latexmk	/usr/share/doc/latexmk/README	copy	text	en
notes/fzf/README.Debian	fzf	/usr/share/doc/fzf/README.Debian	copy	text	en
notes/fd-find/README.Debian	fd-find	/usr/share/doc/fd-find/README.Debian	copy	text	en
notes/rsync/README.Debian	rsync	/usr/share/doc/rsync/README.Debian	copy	text	en
notes/rsync/NEWS.Debian	rsync	/usr/share/doc/rsync/NEWS.Debian.gz	copy	text	en
notes/glpk/netlib.txt	glpk-doc	/usr/share/doc/glpk-doc/netlib.txt.gz	copy	text	en
notes/glpk/miplib3.txt	glpk-doc	/usr/share/doc/glpk-doc/miplib3.txt.gz	copy	text	en
notes/graphviz/latex_suggestions.txt	graphviz-doc	/usr/share/doc/graphviz/latex_suggestions.txt	copy	text	en
notes/bash/examples-INDEX.txt	bash-doc	/usr/share/doc/bash/examples/INDEX.txt	copy	text	en
notes/bash/startup-files-README	bash-doc	/usr/share/doc/bash/examples/startup-files/README	copy	text	en
notes/docutils/BUGS.txt	docutils-doc	/usr/share/doc/docutils-doc/BUGS.txt	copy	text	en
# --- English man pages
manpages/man-db/lexgrog.1.txt	man-db	/usr/share/man/man1/lexgrog.1.gz	man	text	en
manpages/man-db/zsoelim.1.txt	man-db	/usr/share/man/man1/zsoelim.1.gz	man	text	en
manpages/man-db/manpath.5.txt	man-db	/usr/share/man/man5/manpath.5.gz	man	text	en
manpages/man-db/catman.8.txt	man-db	/usr/share/man/man8/catman.8.gz	man	text	en
manpages/man-db/man-recode.1.txt	man-db	/usr/share/man/man1/man-recode.1.gz	man	text	en
manpages/debianutils/tempfile.1.txt	debianutils	/usr/share/man/man1/tempfile.1.gz	man	text	en
manpages/debianutils/ischroot.1.txt	debianutils	/usr/share/man/man1/ischroot.1.gz	man	text	en
manpages/debianutils/installkernel.8.txt	debianutils	/usr/share/man/man8/installkernel.8.gz	man	text	en
manpages/debhelper/dh_installcron.1.txt	debhelper	/usr/share/man/man1/dh_installcron.1.gz	man	text	en
manpages/debhelper/dh_strip.1.txt	debhelper	/usr/share/man/man1/dh_strip.1.gz	man	text	en
manpages/debhelper/dh_compress.1.txt	debhelper	/usr/share/man/man1/dh_compress.1.gz	man	text	en
manpages/debhelper/dh_fixperms.1.txt	debhelper	/usr/share/man/man1/dh_fixperms.1.gz	man	text	en
manpages/debhelper/dh_link.1.txt	debhelper	/usr/share/man/man1/dh_link.1.gz	man	text	en
manpages/debhelper/dh_missing.1.txt	debhelper	/usr/share/man/man1/dh_missing.1.gz	man	text	en
manpages/debhelper/dh_installlogrotate.1.txt	debhelper	/usr/share/man/man1/dh_installlogrotate.1.gz	man	text	en
manpages/devscripts/dget.1.txt	devscripts	/usr/share/man/man1/dget.1.gz	man	text	en
manpages/devscripts/debsign.1.txt	devscripts	/usr/share/man/man1/debsign.1.gz	man	text	en
manpages/devscripts/rmadison.1.txt	devscripts	/usr/share/man/man1/rmadison.1.gz	man	text	en
manpages/devscripts/who-uploads.1.txt	devscripts	/usr/share/man/man1/who-uploads.1.gz	man	text	en
manpages/devscripts/wnpp-check.1.txt	devscripts	/usr/share/man/man1/wnpp-check.1.gz	man	text	en
manpages/devscripts/checkbashisms.1.txt	devscripts	/usr/share/man/man1/checkbashisms.1.gz	man	text	en
manpages/devscripts/hardening-check.1.txt	devscripts	/usr/share/man/man1/hardening-check.1.gz	man	text	en
manpages/devscripts/wrap-and-sort.1.txt	devscripts	/usr/share/man/man1/wrap-and-sort.1.gz	man	text	en
manpages/po4a/po4a-gettextize.1p.txt	po4a	/usr/share/man/man1/po4a-gettextize.1p.gz	man	text	en
manpages/po4a/po4a-normalize.1p.txt	po4a	/usr/share/man/man1/po4a-normalize.1p.gz	man	text	en
manpages/po4a/msguntypot.1p.txt	po4a	/usr/share/man/man1/msguntypot.1p.gz	man	text	en
manpages/curl/CURLOPT_SSLCERT.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_SSLCERT.3.gz	man	text	en
manpages/curl/CURLOPT_PROXY_SSLCERT.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_PROXY_SSLCERT.3.gz	man	text	en
manpages/curl/CURLOPT_SSL_VERIFYHOST.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_SSL_VERIFYHOST.3.gz	man	text	en
manpages/curl/CURLOPT_PROXY_SSL_VERIFYHOST.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_PROXY_SSL_VERIFYHOST.3.gz	man	text	en
manpages/curl/CURLOPT_LOW_SPEED_LIMIT.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_LOW_SPEED_LIMIT.3.gz	man	text	en
manpages/curl/CURLOPT_MAXFILESIZE.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_MAXFILESIZE.3.gz	man	text	en
manpages/curl/CURLOPT_RESOLVE.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_RESOLVE.3.gz	man	text	en
manpages/curl/CURLOPT_UNIX_SOCKET_PATH.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_UNIX_SOCKET_PATH.3.gz	man	text	en
manpages/curl/CURLOPT_NOPROXY.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_NOPROXY.3.gz	man	text	en
manpages/curl/curl_easy_escape.3.txt	libcurl4-doc	/usr/share/man/man3/curl_easy_escape.3.gz	man	text	en
manpages/curl/curl_easy_unescape.3.txt	libcurl4-doc	/usr/share/man/man3/curl_easy_unescape.3.gz	man	text	en
manpages/curl/CURLOPT_RESUME_FROM.3.txt	libcurl4-doc	/usr/share/man/man3/CURLOPT_RESUME_FROM.3.gz	man	text	en
manpages/misc/fdfind.1.txt	fd-find	/usr/share/man/man1/fdfind.1.gz	man	text	en
manpages/misc/fzf-tmux.1.txt	fzf	/usr/share/man/man1/fzf-tmux.1.gz	man	text	en
manpages/misc/units_cur.1.txt	units	/usr/share/man/man1/units_cur.1.gz	man	text	en
# --- translated man pages
manpages/ja/whatis.1.ja.txt	man-db	/usr/share/man/ja/man1/whatis.1.gz	man	text	ja
manpages/ru/mandb.8.ru.txt	man-db	/usr/share/man/ru/man8/mandb.8.gz	man	text	ru
manpages/fr/apropos.1.fr.txt	man-db	/usr/share/man/fr/man1/apropos.1.gz	man	text	fr
manpages/de/accessdb.8.de.txt	man-db	/usr/share/man/de/man8/accessdb.8.gz	man	text	de
manpages/de/run-parts.8.de.txt	debianutils	/usr/share/man/de/man8/run-parts.8.gz	man	text	de
manpages/fr/savelog.8.fr.txt	debianutils	/usr/share/man/fr/man8/savelog.8.gz	man	text	fr
manpages/it/which.1.it.txt	debianutils	/usr/share/man/it/man1/which.debianutils.1.gz	man	text	it
manpages/pt/add-shell.8.pt.txt	debianutils	/usr/share/man/pt/man8/add-shell.8.gz	man	text	pt
manpages/fr/dh_installdocs.1.fr.txt	debhelper	/usr/share/man/fr/man1/dh_installdocs.1.gz	man	text	fr
manpages/de/dh_installexamples.1.de.txt	debhelper	/usr/share/man/de/man1/dh_installexamples.1.gz	man	text	de
manpages/es/dh_installmime.1.es.txt	debhelper	/usr/share/man/es/man1/dh_installmime.1.gz	man	text	es
manpages/ja/dh_clean.1.ja.txt	debhelper	/usr/share/man/ja/man1/dh_clean.1.gz	man	text	ja
manpages/pt/dh_installinit.1.pt.txt	debhelper	/usr/share/man/pt/man1/dh_installinit.1.gz	man	text	pt
manpages/de/build-rdeps.1.de.txt	devscripts	/usr/share/man/de/man1/build-rdeps.1.gz	man	text	de
manpages/fr/annotate-output.1.fr.txt	devscripts	/usr/share/man/fr/man1/annotate-output.1.gz	man	text	fr
manpages/fr/debcheckout.1.fr.txt	devscripts	/usr/share/man/fr/man1/debcheckout.1.gz	man	text	fr
manpages/ru/Locale-Po4a-Ini.3pm.ru.txt	po4a	/usr/share/man/ru/man3/Locale::Po4a::Ini.3pm.gz	man	text	ru
manpages/uk/po4a-updatepo.1p.uk.txt	po4a	/usr/share/man/uk/man1/po4a-updatepo.1p.gz	man	text	uk
manpages/zh_CN/po4a-display-pod.1.zh_CN.txt	po4a	/usr/share/man/zh_CHS/man1/po4a-display-pod.1.gz	man	text	zh
manpages/ja/crontab.1.ja.txt	manpages-ja	/usr/share/man/ja/man1/crontab.1.gz	man	text	ja
manpages/ja/flock.1.ja.txt	manpages-ja	/usr/share/man/ja/man1/flock.1.gz	man	text	ja
manpages/ja/look.1.ja.txt	manpages-ja	/usr/share/man/ja/man1/look.1.gz	man	text	ja
manpages/zh_CN/setleds.1.zh_CN.txt	manpages-zh	/usr/share/man/zh_CN/man1/setleds.1.gz	man	text	zh
manpages/zh_CN/showkey.1.zh_CN.txt	manpages-zh	/usr/share/man/zh_CN/man1/showkey.1.gz	man	text	zh
manpages/zh_CN/tac.1.zh_CN.txt	manpages-zh	/usr/share/man/zh_CN/man1/tac.1.gz	man	text	zh
# --- source code
src/c/curl/chkspeed.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/chkspeed.c	copy	code-c	en
src/c/curl/ftpuploadresume.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/ftpuploadresume.c	copy	code-c	en
src/c/curl/getinmemory.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/getinmemory.c	copy	code-c	en
src/c/curl/imap-search.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/imap-search.c	copy	code-c	en
src/c/curl/smtp-mail.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/smtp-mail.c	copy	code-c	en
src/c/curl/url2file.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/url2file.c	copy	code-c	en
src/c/curl/urlapi.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/urlapi.c	copy	code-c	en
src/c/curl/resolve.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/resolve.c	copy	code-c	en
src/c/curl/10-at-a-time.c	libcurl4-doc	/usr/share/doc/libcurl4/examples/10-at-a-time.c	copy	code-c	en
src/c/gawk/grcat.c	gawk	/usr/share/doc/gawk/examples/lib/grcat.c	copy	code-c	en
src/awk/wordfreq.awk	gawk	/usr/share/doc/gawk/examples/prog/wordfreq.awk	copy	code-awk	en
src/awk/dupword.awk	gawk	/usr/share/doc/gawk/examples/prog/dupword.awk	copy	code-awk	en
src/awk/anagram.awk	gawk	/usr/share/doc/gawk/examples/prog/anagram.awk	copy	code-awk	en
src/awk/alarm.awk	gawk	/usr/share/doc/gawk/examples/prog/alarm.awk	copy	code-awk	en
src/awk/round.awk	gawk	/usr/share/doc/gawk/examples/lib/round.awk	copy	code-awk	en
src/awk/getopt.awk	gawk	/usr/share/doc/gawk/examples/lib/getopt.awk	copy	code-awk	en
src/awk/eliza.awk	gawk	/usr/share/doc/gawk/examples/network/eliza.awk	copy	code-awk	en
src/bc/pi.b	bc	/usr/share/doc/bc/examples/pi.b	copy	code-bc	en
src/bc/primes.b	bc	/usr/share/doc/bc/examples/primes.b	copy	code-bc	en
src/bc/twins.b	bc	/usr/share/doc/bc/examples/twins.b	copy	code-bc	en
src/bc/ckbook.b	bc	/usr/share/doc/bc/examples/ckbook.b	copy	code-bc	en
src/shell/center	bash-doc	/usr/share/doc/bash/examples/scripts/center	copy	code-shell	en
src/shell/spin.bash	bash-doc	/usr/share/doc/bash/examples/scripts/spin.bash	copy	code-shell	en
src/shell/inetaddr	bash-doc	/usr/share/doc/bash/examples/functions/inetaddr	copy	code-shell	en
src/shell/isvalidip	bash-doc	/usr/share/doc/bash/examples/functions/isvalidip	copy	code-shell	en
src/shell/autoload	bash-doc	/usr/share/doc/bash/examples/functions/autoload	copy	code-shell	en
src/shell/autoload.v2	bash-doc	/usr/share/doc/bash/examples/functions/autoload.v2	copy	code-shell	en
src/shell/cshtobash	bash-doc	/usr/share/doc/bash/examples/misc/cshtobash	copy	code-shell	en
src/shell/Bash_aliases	bash-doc	/usr/share/doc/bash/examples/startup-files/Bash_aliases	copy	code-shell	en
src/shell/key-bindings.bash	fzf	/usr/share/doc/fzf/examples/key-bindings.bash	copy	code-shell	en
src/shell/bgedit-screen-tmux.sh	mutt	/usr/share/doc/mutt/examples/bgedit-screen-tmux.sh	copy	code-shell	en
src/shell/rsync-no-vanished	rsync	/usr/share/rsync/scripts/rsync-no-vanished	copy	code-shell	en
src/fish/key-bindings.fish	fzf	/usr/share/doc/fzf/examples/key-bindings.fish	copy	code-fish	en
src/tcsh/complete.tcsh	tcsh	/usr/share/doc/tcsh/examples/complete.tcsh	copy	code-tcsh	en
src/perl/rsyncstats	rsync	/usr/share/rsync/scripts/rsyncstats	copy	code-perl	en
src/perl/files-to-excludes	rsync	/usr/share/rsync/scripts/files-to-excludes	copy	code-perl	en
src/perl/smime_keys_test.pl	mutt	/usr/share/doc/mutt/examples/smime_keys_test.pl	copy	code-perl	en
src/perl/version-check.pl	libcurl4-doc	/usr/share/doc/libcurl4/examples/version-check.pl	copy	code-perl	en
src/python/aliases.py	python-click-doc	/usr/share/doc/python-click-doc/examples/aliases/aliases.py	copy	code-python	en
src/python/imagepipe.py	python-click-doc	/usr/share/doc/python-click-doc/examples/imagepipe/imagepipe.py	copy	code-python	en
src/python/validation.py	python-click-doc	/usr/share/doc/python-click-doc/examples/validation/validation.py	copy	code-python	en
src/python/mutt_oauth2.py	mutt	/usr/share/doc/mutt/examples/mutt_oauth2.py	copy	code-python	en
src/python/munge-symlinks	rsync	/usr/share/rsync/scripts/munge-symlinks	copy	code-python	en
src/python/atomic-rsync	rsync	/usr/share/rsync/scripts/atomic-rsync	copy	code-python	en
src/lua/permute.lua	lua-penlight	/usr/share/lua/5.1/pl/permute.lua	copy	code-lua	en
src/lua/template.lua	lua-penlight	/usr/share/lua/5.1/pl/template.lua	copy	code-lua	en
src/lua/strict.lua	lua-penlight	/usr/share/lua/5.1/pl/strict.lua	copy	code-lua	en
src/lua/sip.lua	lua-penlight	/usr/share/lua/5.1/pl/sip.lua	copy	code-lua	en
src/js/ms-index.js	node-ms	/usr/share/nodejs/ms/index.js	copy	code-js	en
src/js/Mime.js	node-mime	/usr/share/nodejs/mime/Mime.js	copy	code-js	en
src/js/mime-score.js	node-mime	/usr/share/nodejs/mime-score/score.js	copy	code-js	en
src/go/pflag/count.go	golang-github-spf13-pflag-dev	/usr/share/gocode/src/github.com/spf13/pflag/count.go	copy	code-go	en
src/go/pflag/ipmask.go	golang-github-spf13-pflag-dev	/usr/share/gocode/src/github.com/spf13/pflag/ipmask.go	copy	code-go	en
src/go/pflag/golangflag.go	golang-github-spf13-pflag-dev	/usr/share/gocode/src/github.com/spf13/pflag/golangflag.go	copy	code-go	en
src/ruby/rainbow/color.rb	ruby-rainbow	/usr/share/rubygems-integration/all/gems/rainbow-3.1.1/lib/rainbow/color.rb	copy	code-ruby	en
src/ruby/rainbow/presenter.rb	ruby-rainbow	/usr/share/rubygems-integration/all/gems/rainbow-3.1.1/lib/rainbow/presenter.rb	copy	code-ruby	en
src/tcl/soundex.tcl	tcllib	/usr/share/tcltk/tcllib1.21/soundex/soundex.tcl	copy	code-tcl	en
src/tcl/ini.tcl	tcllib	/usr/share/tcltk/tcllib1.21/inifile/ini.tcl	copy	code-tcl	en
src/tcl/uuid.tcl	tcllib	/usr/share/tcltk/tcllib1.21/uuid/uuid.tcl	copy	code-tcl	en
src/elisp/readme-debian.el	elpa-dpkg-dev-el	/usr/share/emacs/site-lisp/elpa-src/dpkg-dev-el-37.0/readme-debian.el	copy	code-elisp	en
src/elisp/debian-copyright.el	elpa-dpkg-dev-el	/usr/share/emacs/site-lisp/elpa-src/dpkg-dev-el-37.0/debian-copyright.el	copy	code-elisp	en
src/vim/Tabular.vim	vim-tabular	/usr/share/vim-tabular/plugin/Tabular.vim	copy	code-vim	en
src/vim/airline-po.vim	vim-airline	/usr/share/vim-airline/autoload/airline/extensions/po.vim	copy	code-vim	en
src/vim/airline-wordcount.vim	vim-airline	/usr/share/vim-airline/autoload/airline/extensions/wordcount.vim	copy	code-vim	en
src/config/sample.muttrc-sidebar	mutt	/usr/share/doc/mutt/examples/sample.muttrc-sidebar	copy	code-config	en
src/config/rsyncd.conf	rsync	/usr/share/doc/rsync/examples/rsyncd.conf	copy	code-config	en
src/config/pdflatexmkrc	latexmk	/usr/share/doc/latexmk/examples/pdflatexmkrc	copy	code-perl	en
src/dot/fsm.gv	graphviz-doc	/usr/share/doc/graphviz/examples/graphs/directed/fsm.gv	copy	code-dot	en
src/dot/hashtable.gv	graphviz-doc	/usr/share/doc/graphviz/examples/graphs/directed/hashtable.gv	copy	code-dot	en
"""

MANIFEST_COLUMNS = ["relpath", "bytes", "sha256", "source_package", "format", "language",
                    "text_chars", "est_tokens", "how_made", "source_path"]


def parse_spec():
    rows = []
    for line in SPEC.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rel, pkg, src, how, fmt, lang = line.split("\t")
        rows.append(dict(relpath=rel, package=pkg, src=src, how=how, format=fmt, language=lang))
    return rows


# ---------------------------------------------------------------- downloading and reading .debs

def fetch(pkg, version, path, sha, cache, mirror):
    os.makedirs(cache, exist_ok=True)
    dest = os.path.join(cache, os.path.basename(path))
    if os.path.exists(dest):
        with open(dest, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == sha:
                return dest
        os.remove(dest)
    url = mirror.rstrip("/") + "/" + path
    print(f"  downloading {pkg} {version}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"sha256 mismatch for {url}: expected {sha}, got {got}")
    tmp = dest + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dest)
    return dest


def ar_members(data):
    if data[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    pos, out = 8, {}
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[:16].decode().strip().rstrip("/")
        size = int(hdr[48:58].decode().strip())
        pos += 60
        out[name] = data[pos:pos + size]
        pos += size + (size & 1)
    return out


class Deb:
    """The data part of one .deb, readable by path (symlinks are followed)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            members = ar_members(f.read())
        name = next(n for n in members if n.startswith("data.tar"))
        raw = members[name]
        if name.endswith(".zst"):
            if not shutil.which("zstd"):
                sys.exit(f"{path}: data.tar.zst needs the zstd program")
            raw = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True, check=True).stdout
            mode = "r:"
        else:
            mode = {"data.tar.xz": "r:xz", "data.tar.gz": "r:gz", "data.tar": "r:"}[name]
        self.tar = tarfile.open(fileobj=io.BytesIO(raw), mode=mode)
        self.members = {m.name.lstrip(".").lstrip("/"): m for m in self.tar.getmembers()}

    def read(self, path, depth=0):
        key = path.lstrip("/")
        m = self.members.get(key)
        if m is None:
            raise KeyError(path)
        if m.issym():
            if depth > 10:
                raise KeyError(path)
            target = m.linkname
            if not target.startswith("/"):
                target = os.path.normpath(os.path.join(os.path.dirname("/" + key), target))
            return self.read(target, depth + 1)
        return self.tar.extractfile(m).read()


# ---------------------------------------------------------------- conversions

def render_man(name, data):
    for tool in ("man", "col"):
        if not shutil.which(tool):
            sys.exit(f"rendering man pages needs `{tool}` (man-db, groff, bsdextrautils)")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
           "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "MAN_DISABLE_SECCOMP": "1",
           "HOME": tempfile.gettempdir()}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, os.path.basename(name).replace(":", "_"))
        with open(p, "wb") as f:
            f.write(data)
        out = subprocess.run(["man", "-l", p], env=env, capture_output=True, check=True).stdout
        out = subprocess.run(["col", "-bx"], input=out, env=env, capture_output=True, check=True).stdout
    return out


BLOCK_TAGS = {"p", "div", "pre", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
              "blockquote", "table", "ul", "ol", "dl", "br", "title"}


class _Blocks(html.parser.HTMLParser):
    """HTML -> list of (kind, text) with kind in title/h1..h4/p/pre/li."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.buf, self.kind, self.skip, self.pre = [], [], "p", 0, 0

    def flush(self):
        text = "".join(self.buf)
        if not self.pre:
            text = re.sub(r"\s+", " ", text).strip()
        else:
            text = text.strip("\n")
        if text.strip():
            self.blocks.append((self.kind, text))
        self.buf = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
            return
        if tag in BLOCK_TAGS:
            self.flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.kind = "h" + str(min(int(tag[1]), 4))
            elif tag == "pre":
                self.kind, self.pre = "pre", self.pre + 1
            elif tag == "li":
                self.kind = "li"
            elif tag == "title":
                self.kind = "title"
            elif not self.pre:
                self.kind = "p"

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
            return
        if tag in BLOCK_TAGS:
            self.flush()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self.kind = "pre" if self.pre else "p"

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)


def html_blocks(data):
    text = decode_html(data)
    p = _Blocks()
    p.feed(text)
    p.flush()
    title = next((t for k, t in p.blocks if k == "title"), "")
    return title, [(k, t) for k, t in p.blocks if k != "title"]


def decode_html(data):
    m = re.search(rb'charset=["\']?([-\w]+)', data[:3000])
    enc = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(enc)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")


def _zip(entries, first_stored=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == first_stored else zipfile.ZIP_DEFLATED
            z.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()


def esc(s):
    return html.escape(s, quote=False)


def make_docx(data, lang):
    title, blocks = html_blocks(data)
    style_of = {"h1": "Heading1", "h2": "Heading2", "h3": "Heading3", "h4": "Heading4",
                "li": "ListParagraph", "pre": "Code"}
    paras = []
    for kind, text in blocks:
        style = style_of.get(kind)
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        lines = text.split("\n") if kind == "pre" else [text]
        runs = '<w:r><w:br/></w:r>'.join(
            f'<w:r><w:t xml:space="preserve">{esc(l)}</w:t></w:r>' for l in lines)
        paras.append(f"<w:p>{ppr}{runs}</w:p>")
    W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W}><w:body>'
                + "".join(paras) + '<w:sectPr/></w:body></w:document>')
    styles = [f'<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
              f'<w:rPr><w:lang w:val="{lang}"/></w:rPr></w:style>']
    for i, size in ((1, 32), (2, 28), (3, 26), (4, 24)):
        styles.append(f'<w:style w:type="paragraph" w:styleId="Heading{i}"><w:name w:val="heading {i}"/>'
                      f'<w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="{i - 1}"/></w:pPr>'
                      f'<w:rPr><w:b/><w:sz w:val="{size}"/></w:rPr></w:style>')
    styles.append('<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/>'
                  '<w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="720"/></w:pPr></w:style>')
    styles.append('<w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Code"/><w:basedOn w:val="Normal"/>'
                  '<w:rPr><w:rFonts w:ascii="Courier New" w:hAnsi="Courier New"/></w:rPr></w:style>')
    styles_xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles {W}>'
                  + "".join(styles) + "</w:styles>")
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{esc(title)}</dc:title><dc:language>{lang}</dc:language></cp:coreProperties>')
    ctypes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
              '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
              '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
              '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '</Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                '</Relationships>')
    return _zip([("[Content_Types].xml", ctypes), ("_rels/.rels", rels), ("docProps/core.xml", core),
                 ("word/_rels/document.xml.rels", doc_rels), ("word/document.xml", document),
                 ("word/styles.xml", styles_xml)])


def make_odt(data, lang):
    title, blocks = html_blocks(data)
    body = []
    for kind, text in blocks:
        if kind.startswith("h"):
            body.append(f'<text:h text:style-name="Heading_20_{kind[1]}" text:outline-level="{kind[1]}">{esc(text)}</text:h>')
        elif kind == "li":
            body.append(f'<text:list><text:list-item><text:p text:style-name="List_20_Contents">{esc(text)}'
                        '</text:p></text:list-item></text:list>')
        elif kind == "pre":
            lines = "<text:line-break/>".join(esc(l) for l in text.split("\n"))
            body.append(f'<text:p text:style-name="Preformatted_20_Text">{lines}</text:p>')
        else:
            body.append(f'<text:p text:style-name="Text_20_body">{esc(text)}</text:p>')
    NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {NS} office:version="1.2">'
               '<office:body><office:text>' + "".join(body) + '</office:text></office:body></office:document-content>')
    styles = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {NS} office:version="1.2"><office:styles>'
              f'<style:default-style style:family="paragraph"><style:text-properties fo:language="{lang}"/></style:default-style>'
              '<style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph"/>'
              '<style:style style:name="List_20_Contents" style:display-name="List Contents" style:family="paragraph"/>'
              '<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph">'
              '<style:text-properties style:font-name="Courier New"/></style:style>'
              + "".join(f'<style:style style:name="Heading_20_{i}" style:display-name="Heading {i}" style:family="paragraph" '
                        f'style:default-outline-level="{i}"><style:text-properties fo:font-weight="bold"/></style:style>'
                        for i in range(1, 5))
              + '</office:styles></office:document-styles>')
    meta = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {NS} office:version="1.2"><office:meta>'
            f'<dc:title>{esc(title)}</dc:title><dc:language>{lang}</dc:language></office:meta></office:document-meta>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    return _zip([("mimetype", "application/vnd.oasis.opendocument.text"), ("META-INF/manifest.xml", manifest),
                 ("content.xml", content), ("meta.xml", meta), ("styles.xml", styles)], first_stored="mimetype")


# ---------------------------------------------------------------- text for manifest (and BM25)

class _Strip(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(data):
    p = _Strip()
    p.feed(decode_html(data))
    p.close()
    t = re.sub(r"[ \t\r\f\v]+", " ", "".join(p.out))
    return re.sub(r"\n\s*\n+", "\n\n", t).strip()


def pdf_text(path):
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return None
    doc = pdfium.PdfDocument(path)
    parts = []
    for i in range(len(doc)):
        tp = doc[i].get_textpage()
        parts.append(tp.get_text_range())
        tp.close()
    doc.close()
    return "\n".join(parts).replace("\r\n", "\n")


def office_text(path):
    with zipfile.ZipFile(path) as z:
        name = "word/document.xml" if "word/document.xml" in z.namelist() else "content.xml"
        x = z.read(name).decode("utf-8")
    x = re.sub(r"<w:br/>|<text:line-break/>", "\n", x)
    x = re.sub(r"</w:p>|</text:p>|</text:h>", "\n", x)
    return html.unescape(re.sub(r"<[^>]+>", "", x)).strip()


def file_text(path, fmt):
    """The text a simple extractor gets: used for text_chars and by the BM25 baseline."""
    if fmt == "pdf":
        return pdf_text(path)
    if fmt in ("docx", "odt"):
        return office_text(path)
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "html":
        return html_text(data)
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------- packing

def pack(corpus_dir, out_path):
    names = []
    for root, dirs, files in os.walk(corpus_dir):
        for n in dirs + files:
            names.append(os.path.relpath(os.path.join(root, n), os.path.dirname(corpus_dir)))
    names.sort()
    with open(out_path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for rel in ["corpus"] + names:
                    full = os.path.join(os.path.dirname(corpus_dir), rel)
                    ti = tarfile.TarInfo(rel.replace(os.sep, "/"))
                    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = FIXED_MTIME, 0, 0, "", ""
                    if os.path.isdir(full):
                        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                        tar.addfile(ti)
                    else:
                        with open(full, "rb") as f:
                            data = f.read()
                        ti.size, ti.mode = len(data), 0o644
                        tar.addfile(ti, io.BytesIO(data))
    with open(out_path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "gemseek-eval2-debs"),
                    help="folder for the downloaded .deb files (default: %(default)s)")
    ap.add_argument("--mirror", default="http://deb.debian.org/debian")
    ap.add_argument("--out", default=HERE, help="where corpus.tar.gz and manifest.tsv go (default: this folder)")
    ap.add_argument("--keep-corpus", action="store_true", help="leave the unpacked corpus/ folder in --out")
    a = ap.parse_args()

    spec = parse_spec()
    pins = {p[0]: p for p in PACKAGES}
    needed = sorted({r["package"] for r in spec})
    missing = [p for p in needed if p not in pins]
    if missing:
        sys.exit(f"packages used in SPEC but not pinned: {missing}")

    print(f"fetching {len(needed)} packages", file=sys.stderr)
    debs = {}
    for name in needed:
        debs[name] = fetch(*pins[name], cache=a.cache, mirror=a.mirror)

    work = tempfile.mkdtemp(prefix="eval2-build-")
    corpus = os.path.join(work, "corpus")
    rows = []
    try:
        opened = {}
        for r in spec:
            deb = opened.get(r["package"]) or opened.setdefault(r["package"], Deb(debs[r["package"]]))
            data = deb.read(r["src"])
            how = r["how"]
            if how == "copy":
                if r["src"].endswith(".gz") and not r["relpath"].endswith(".gz"):
                    data = gzip.decompress(data)
            elif how == "man":
                data = render_man(r["src"], data)
            elif how == "docx":
                data = make_docx(data, r["language"])
            elif how == "odt":
                data = make_odt(data, r["language"])
            else:
                sys.exit(f"unknown how={how}")
            dest = os.path.join(corpus, r["relpath"])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
            text = file_text(dest, r["format"])
            if text is None:
                print(f"warning: no PDF text extractor (pypdfium2); text_chars empty for {r['relpath']}",
                      file=sys.stderr)
            n = len(text) if text is not None else ""
            rows.append({"relpath": r["relpath"], "bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest(), "source_package": r["package"],
                         "format": r["format"], "language": r["language"], "text_chars": n,
                         "est_tokens": n // 4 if n != "" else "", "how_made": "office" if how in ("docx", "odt") else how,
                         "source_path": r["src"]})
        rows.sort(key=lambda x: x["relpath"])

        old = {}
        man_path = os.path.join(a.out, "manifest.tsv")
        if os.path.exists(man_path):
            with open(man_path, encoding="utf-8") as f:
                next(f)
                for line in f:
                    c = line.rstrip("\n").split("\t")
                    old[c[0]] = c[2]
        changed = [x["relpath"] for x in rows if x["relpath"] in old and old[x["relpath"]] != x["sha256"]]
        if changed:
            print(f"warning: {len(changed)} files differ from the recorded manifest.tsv: "
                  + ", ".join(changed[:10]), file=sys.stderr)

        os.makedirs(a.out, exist_ok=True)
        with open(man_path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\t".join(MANIFEST_COLUMNS) + "\n")
            for x in rows:
                f.write("\t".join(str(x[c]) for c in MANIFEST_COLUMNS) + "\n")
        tar_path = os.path.join(a.out, "corpus.tar.gz")
        digest = pack(corpus, tar_path)
        if a.keep_corpus:
            dest = os.path.join(a.out, "corpus")
            if os.path.exists(dest):
                shutil.rmtree(dest)
            shutil.copytree(corpus, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = os.path.getsize(tar_path)
    print(f"{len(rows)} files; corpus.tar.gz {size} bytes")
    print(f"sha256 {digest}  corpus.tar.gz")


if __name__ == "__main__":
    main()
