/* tagged.pml — the tagged Treiber head of src/stack/tagged_head.rs
 * (TaggedHead::push / TaggedHead::pop), used as a free list of buffer
 * indices exactly as IndexStack (src/stack/tagged.rs) uses it.
 *
 * Head word = (tag, index); index NIL (= NB) is empty. Every successful CAS
 * sets tag := (tag + 1) mod 2^TAG_BITS  (TaggedHead::successor).
 *   -DTAG_BITS=0   untagged head (must fail: ABA double hand-out)
 *   -DTAG_BITS=k   k-bit generation; it only behaves like the real 40-bit tag
 *                  if 2^k exceeds the successful CASes a run can make
 *                  (checked below by an assertion in init).
 *   -DPROGRESS     adds the LTL claim "all threads finish" (run pan -a -f)
 *   -DSPURIOUS     compare_exchange_weak may fail spuriously without bound
 *                  (must fail the progress claim: livelock under fairness)
 */
#include "common.pml"

#ifndef TAG_BITS
#define TAG_BITS 6
#endif
#define TAG_MOD (1 << TAG_BITS)
#define NIL NB

byte head_idx = NIL;        /* TaggedHead::word, index part */
byte head_tag = 0;          /* TaggedHead::word, tag part   */
byte links[MAXB];           /* links: &[AtomicU32]          */

#ifdef SPURIOUS
#define WEAK_FAIL :: true -> ok = false   /* spurious failure of _weak */
#else
#define WEAK_FAIL
#endif

/* TaggedHead::push(links, index=b): caller owns b. */
inline push(b) {
  /*@ tagged_head.rs push: `self.word.load(Relaxed)` */
  atomic { oi = head_idx; ot = head_tag };
  do
  :: /*@ tagged_head.rs push: `link.store(index_of(old), Relaxed)` */
     links[b] = oi;
     /*@ tagged_head.rs push: `compare_exchange_weak(old, successor(old,
      * index), Release ("tagged.push.cas"), Relaxed)` */
     atomic {
       if
       :: head_idx == oi && head_tag == ot ->
            head_idx = b; head_tag = (ot + 1) % TAG_MOD;
            owner[b] = IN_LIST; held--; ok = true;
            printf("MSG: proc %d gives back buffer %d\n", _pid, b)
       :: else -> oi = head_idx; ot = head_tag; ok = false  /* Err(current) */
       WEAK_FAIL
       fi
     };
     if
     :: ok -> break
     :: else -> skip        /* backoff.spin() */
     fi
  od
}

/* TaggedHead::pop(links) -> Option<u32>; result in got (NIL = None). */
inline pop() {
  do
  :: /*@ tagged_head.rs pop: `self.word.load(Acquire ("tagged.pop.load"))` */
     atomic { oi = head_idx; ot = head_tag };
     if
     :: oi == NIL -> got = NIL; break     /* return None */
     :: else -> skip
     fi;
     /*@ tagged_head.rs pop: `links[index].load(Relaxed)` */
     nx = links[oi];
     /*@ tagged_head.rs pop: `compare_exchange_weak(old, successor(old, next),
      * Relaxed, Relaxed)` */
     atomic {
       if
       :: head_idx == oi && head_tag == ot ->
            head_idx = nx; head_tag = (ot + 1) % TAG_MOD;
            hand_out(me, oi); held++; got = oi; ok = true
       :: else -> ok = false
       WEAK_FAIL
       fi
     };
     if
     :: ok -> break          /* return Some(index) */
     :: else -> skip         /* backoff.spin() */
     fi
  od
}

proctype Thread(byte me) {
  byte oi, ot, nx, got, b, held, i;
  bool ok;
  do
  :: i < OPS ->
     if
     :: pop()
     :: held > 0 -> pick_held(me, b); push(b)
     fi;
     i++
  :: else -> break
  od;
  do                              /* give everything back */
  :: held > 0 -> pick_held(me, b); push(b)
  :: else -> break
  od;
  ndone++
}

/* Quiescence: the list from the head holds every buffer exactly once and
 * ends in NIL (nothing lost, nothing twice, no cycle). */
active proctype Quiescence() {
  byte cur, n;
  bool seen[MAXB];
  ndone == NT ->
  d_step {
    cur = head_idx;
    do
    :: cur == NIL -> break
    :: else ->
       assert(n < NB && !seen[cur] && owner[cur] == IN_LIST);  /* no cycle/dup */
       seen[cur] = true; n++; cur = links[cur]
    od;
    assert(n == NB)                                             /* nothing lost */
  }
}

init {
  byte k;
#ifdef NO_WRAP
  /* must-pass runs: the tag must not wrap within one run, so that it stands
   * for the real 40-bit tag. Each thread makes at most 2 * OPS successful
   * CASes (OPS operations, then at most OPS pushes to give buffers back). */
  assert(TAG_MOD > NT * 2 * OPS);
#endif
  atomic {
    /* start with every buffer on the list: NB-1 at the bottom, 0 on top */
    k = 0;
    do
    :: k < NB -> links[k] = k + 1; k++
    :: else -> break
    od;
    links[NB - 1] = NIL;
    head_idx = 0;
    k = 0;
    do
    :: k < NT -> run Thread(k); k++
    :: else -> break
    od
  }
}

#ifdef PROGRESS
ltl all_finish { <> (ndone == NT) }
#endif
