# Writes src/shoehorn/tokenizer/unicode_tables's data from the Unicode Character Database:
#   awk -v out=FILE -f unicode_tables.awk UnicodeData.txt PropList.txt
# General categories as ranges (first code point, category index in unicode.hpp's order; the
# gaps are Cn), White_Space as [first, last] ranges. POSIX awk only (mawk runs it): no strtonum.

function hex(s,    i, c, v) {
  v = 0
  s = toupper(s)
  for (i = 1; i <= length(s); i++) {
    c = index("0123456789ABCDEF", substr(s, i, 1))
    if (c == 0) { print "unicode_tables.awk: bad hex '" s "'" > "/dev/stderr"; exit 1 }
    v = v * 16 + c - 1
  }
  return v
}

function emit_range(first, cat) {
  printf "    {0x%06X, %d},\n", first, cat > out
  ranges++
}

# A run of code points [first, last] of category cat, in increasing order.
function add_run(first, last, cat) {
  if (first > next_cp) {  # unassigned code points before this run
    if (last_cat != CN) emit_range(next_cp, CN)
    last_cat = CN
  }
  if (cat != last_cat) emit_range(first, cat)
  last_cat = cat
  next_cp = last + 1
}

BEGIN {
  FS = ";"
  split("Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn", names, " ")
  for (i = 1; i <= 30; i++) index_of[names[i]] = i - 1
  CN = index_of["Cn"]
  next_cp = 0
  last_cat = -1
  ranges = 0
  white = 0
  print "// Generated at build time by cmake/unicode_tables.awk from UnicodeData.txt and PropList.txt." > out
  print "#include \"shoehorn/tokenizer/unicode.hpp\"" > out
  print "" > out
  print "namespace shoehorn::unicode::detail {" > out
  print "" > out
  print "const CategoryRange kCategoryRanges[] = {" > out
}

FNR == 1 { file++ }

file == 1 {
  if (!($3 in index_of)) { print "unicode_tables.awk: unknown category '" $3 "'" > "/dev/stderr"; exit 1 }
  cp = hex($1)
  if ($2 ~ /, First>$/) { range_first = cp; next }
  if ($2 ~ /, Last>$/) { add_run(range_first, cp, index_of[$3]); next }
  add_run(cp, cp, index_of[$3])
  next
}

file == 2 && FNR == 1 {  # "# PropList-15.0.0.txt"
  version = $0
  sub(/^# PropList-/, "", version)
  sub(/\.txt.*$/, "", version)
}

file == 2 {
  split($0, parts, "#")
  if (parts[1] !~ /; *White_Space *$/) next
  split(parts[1], f, ";")
  gsub(/ /, "", f[1])
  n = split(f[1], bounds, "\\.\\.")
  first = hex(bounds[1])
  last = n == 2 ? hex(bounds[2]) : first
  white_first[white] = first
  white_last[white] = last
  white++
}

END {
  if (next_cp <= 1114111 && last_cat != CN) emit_range(next_cp, CN)
  print "};" > out
  printf "const std::size_t kCategoryRangeCount = %d;\n\n", ranges > out
  print "const WhiteSpaceRange kWhiteSpaceRanges[] = {" > out
  for (i = 0; i < white; i++) printf "    {0x%06X, 0x%06X},\n", white_first[i], white_last[i] > out
  print "};" > out
  printf "const std::size_t kWhiteSpaceRangeCount = %d;\n\n", white > out
  printf "const char kUnicodeVersion[] = \"%s\";\n\n", version > out
  print "}  // namespace shoehorn::unicode::detail" > out
}
