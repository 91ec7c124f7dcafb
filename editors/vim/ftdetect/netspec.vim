" netspec: .netspec files are the netspec language (docs/editors.md)
autocmd BufRead,BufNewFile *.netspec setfiletype netspec
