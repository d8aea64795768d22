# trail.awk — turns `spin -t -p` output into a short readable interleaving.
#
# Usage: awk -f trail.awk MODEL_FILES... - < spin_trail_output
# Every modelled Rust access in proofs/spin/*.pml is preceded by a comment
# that starts with "/*@" and names the Rust file, function and ordering. Each
# trail step is mapped to the nearest such comment above its source line
# (within the same inline/proctype); consecutive steps of one process under
# the same comment are collapsed into one row. Steps under no comment
# (loop control, ghost bookkeeping) are dropped. The failing assertion or
# end-state message is kept.

FILENAME != "-" {
  base = FILENAME; sub(/.*\//, "", base)
  if ($0 ~ /^(inline|proctype|active proctype|init|#)/) { cur = "" }
  if ($0 ~ /\/\*@/) {
    txt = $0; sub(/.*\/\*@ */, "", txt)
    incomment = ($0 !~ /\*\//)
    sub(/ *\*\/.*/, "", txt); cur = txt
  } else if (incomment) {
    txt = $0; sub(/^[ \t]*\*? */, "", txt)
    if ($0 ~ /\*\//) { incomment = 0; sub(/ *\*\/.*/, "", txt) }
    cur = cur " " txt
  }
  label[base ":" FNR] = cur
  next
}

stop == 2 { next }
/^spin: text of failed assertion/ { print "  => " $0; stop = 1; next }
/^spin: .*(Error|invalid end state|acceptance)/ { print "  => " $0; next }
/<<<<<START OF CYCLE>>>>>/ { print "  -- cycle starts here (repeats forever) --"; next }

/^ *[0-9]+:[ \t]+proc +[0-9]+ \(/ {
  line = $0
  step = line; sub(/:.*/, "", step); gsub(/ /, "", step)
  pid = line; sub(/^ *[0-9]+:[ \t]+proc +/, "", pid); sub(/ .*/, "", pid)
  name = line; sub(/^[^(]*\(/, "", name); sub(/[:)].*/, "", name)
  where = line; sub(/^[^)]*\) /, "", where); sub(/ .*/, "", where)
  stmt = line; sub(/^[^\[]*\[/, "", stmt); sub(/\][^\]]*$/, "", stmt)
  l = label[where]
  if ((l == "" || l ~ /^\(ghost\)/) && stop == 0) next
  if (l == "") l = "[" stmt "]"
  if (stop == 1) stop = 2
  if (pid == lastpid && l == lastlabel) next
  lastpid = pid; lastlabel = l
  printf "  %4s  %-10s %s\n", step, name "[" pid "]", l
}

/^ *MSG: / { m = $0; sub(/^ *MSG: /, "", m); printf "        %-10s   (%s)\n", "", m; next }
