" Vim syntax file for the netspec language: the same classes as the editors' TextMate
" grammar (editors/netspec.tmLanguage.json), for Vim and Neovim, which do not read it.
" The words are grammars/netspec.lark's (tests/test_vim_syntax.py holds them to it).
if exists("b:current_syntax")
  finish
endif

syn keyword netspecDeclaration block network const defaults let
syn keyword netspecControl repeat as if else from
syn keyword netspecLogical and or not
syn keyword netspecBoolean true false
syn keyword netspecNone none
" soft keywords: keywords only where a name follows them (`input image: ...`)
syn match netspecSoftKeyword "\<\%(input\|output\|param\)\>\ze[ \t]\+\h"

syn match netspecCall "\<\h\w*\ze[ \t]*("
syn match netspecArgument "\<\h\w*\ze[ \t]*=[^=]" contained containedin=netspecParens
syn region netspecParens matchgroup=netspecDelimiter start="(" end=")" transparent
syn match netspecDefined "\%(\<\%(block\|network\)[ \t]\+\)\@<=\h\w*"
syn match netspecConstant "\<\u[A-Z0-9_]*\>"
syn match netspecLanguageName "\<in\>"
syn match netspecDtype "\%(\][ \t]\+\)\@<=\%(float32\|int64\|bool\)\>"

syn match netspecNumber "\<\d\+\>"
syn match netspecFloat "\<\d\+\%(\.\d\+\%([eE][+-]\=\d\+\)\=\|[eE][+-]\=\d\+\)"
syn match netspecCheckpoint "->"
syn match netspecOperator "==\|!=\|<=\|>=\|[<>+*/%|]\|-\%(>\)\@!"
syn region netspecString start=+"+ end=+"+ end=+$+ oneline
syn region netspecString start=+'+ end=+'+ end=+$+ oneline
syn match netspecComment "#.*$" contains=@Spell

hi def link netspecDeclaration Keyword
hi def link netspecControl Conditional
hi def link netspecLogical Operator
hi def link netspecSoftKeyword Keyword
hi def link netspecBoolean Boolean
hi def link netspecNone Constant
hi def link netspecCall Function
hi def link netspecArgument Identifier
hi def link netspecDefined Function
hi def link netspecConstant Constant
hi def link netspecLanguageName Special
hi def link netspecDtype Type
hi def link netspecNumber Number
hi def link netspecFloat Float
hi def link netspecCheckpoint Special
hi def link netspecOperator Operator
hi def link netspecDelimiter Delimiter
hi def link netspecString String
hi def link netspecComment Comment

let b:current_syntax = "netspec"
