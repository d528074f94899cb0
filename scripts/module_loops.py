#!/usr/bin/env python3
"""Lists the loops in the import graph of the runtime's modules (a file is a
node; `crate::x` paths, `super::x` paths and a folder's re-exports of its
submodules are edges; test modules are left out). Issue 13 asks for no
loop between export/, testing.rs and the core, and none through more than
a handful of files inside local/. Run from the repository root:
`python3 scripts/module_loops.py`."""
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "src"))
import re,glob,collections,sys
files=[f for f in glob.glob('**/*.rs',recursive=True)]
def mod_of(path):
    p=path[:-3]
    if p.endswith('/mod'): p=p[:-4]
    if p=='lib': return 'crate'
    return p.replace('/','::')
mods={mod_of(f):f for f in files}
graph=collections.defaultdict(set)
for m,f in mods.items():
    src=open(f).read()
    src=re.sub(r'#\[cfg\(test\)\][\s\S]*$','',src)
    src=re.sub(r'//[^\n]*','',src)
    for ref in re.findall(r'crate::([a-z_0-9]+(?:::[a-z_0-9]+)*)',src):
        parts=ref.split('::')
        for k in range(len(parts),0,-1):
            cand='::'.join(parts[:k])
            if cand in mods and cand!=m:
                graph[m].add(cand); break
    if f.endswith('mod.rs') and m!='crate':
        # re-exports of submodules: `pub(crate) use sub::...` / `pub use sub::...`
        for ref in re.findall(r'pub(?:\(crate\))? use ([a-z_0-9]+)::',src):
            cand=m+'::'+ref
            if cand in mods: graph[m].add(cand)
    for ref in re.findall(r'super::([a-z_0-9]+)',src):
        if f.endswith('mod.rs'):
            cand=(m.rsplit('::',1)[0]+'::'+ref) if '::' in m else ref
        else:
            parent=m.rsplit('::',1)[0] if '::' in m else 'crate'
            cand=(parent+'::'+ref) if parent!='crate' else ref
        if cand in mods and cand!=m: graph[m].add(cand)
index={};low={};stack=[];on=set();sccs=[];i=[0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v]=low[v]=i[0];i[0]+=1;stack.append(v);on.add(v)
    for w in graph[v]:
        if w not in index: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],index[w])
    if low[v]==index[v]:
        c=[]
        while True:
            w=stack.pop();on.discard(w);c.append(w)
            if w==v:break
        sccs.append(c)
for v in list(mods):
    if v not in index: sc(v)
for c in sccs:
    if len(c)>1:
        print(len(c), sorted(c))
        if len(c)>4:
            cs=set(c)
            for m in sorted(cs): print('   ',m,'->',sorted(graph[m]&cs))
