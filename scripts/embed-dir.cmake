# Turns every file under a directory into one C table of (path, bytes, length, ETag):
#   cmake -DDIR=web -DOUT=web_files.c -DNAME=ermes__web_files -P embed-dir.cmake
# Paths are relative to DIR with '/' separators; names starting with '.' are left out. The
# ETag is the first 32 hex digits of the file's SHA-256, so it changes when the bytes do.
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
set(out "/* Generated from ${DIR} by scripts/embed-dir.cmake: do not edit. */\n")
string(APPEND out "#include \"http/static.h\"\n\n")
set(table "")
set(i 0)
foreach(rel ${files})
  if(rel MATCHES "(^|/)\\.")
    continue()
  endif()
  file(READ "${DIR}/${rel}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR bytes "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n"
         body "${body}")
  file(SHA256 "${DIR}/${rel}" sha)
  string(SUBSTRING "${sha}" 0 32 etag)
  string(APPEND out "static const unsigned char f${i}[] = {\n${body}0x00};\n")
  string(APPEND table "    {\"${rel}\", f${i}, ${bytes}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND out "\nconst ermes__web_file_t ${NAME}[] = {\n${table}    {0, 0, 0, 0},\n};\n")
string(APPEND out "const size_t ${NAME}_count = ${i};\n")
file(WRITE "${OUT}" "${out}")
