# Warnings live in an INTERFACE target linked PRIVATE, not in preset flags.
add_library(meshtwin_warnings INTERFACE)
add_library(meshtwin::warnings ALIAS meshtwin_warnings)
target_compile_options(meshtwin_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough
  $<$<BOOL:${MESHTWIN_WERROR}>:-Werror>)
