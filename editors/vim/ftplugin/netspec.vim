" netspec: comments with '#', 4-space indentation (the layout `netspec fmt` writes)
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=#\ %s comments=:#
setlocal expandtab shiftwidth=4 softtabstop=4 tabstop=4
setlocal autoindent smartindent cinwords=
let b:undo_ftplugin = "setlocal commentstring< comments< expandtab< shiftwidth< softtabstop< tabstop< autoindent< smartindent< cinwords<"
