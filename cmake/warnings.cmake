# Warnings live in an INTERFACE target linked PRIVATE, not in preset flags.
add_library(meshtwin_warnings INTERFACE)
add_library(meshtwin::warnings ALIAS meshtwin_warnings)
target_compile_options(meshtwin_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough
  # GCC 12 at -O3 reports std::string's own inlined memcpy as overlapping (GCC bug 105651),
  # which breaks Release builds with -Werror; the check finds nothing real in our code.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # GCC 12 at -O2 pairs Asio's awaitable frame operator delete with the global operator new it
  # inlines through (boost::asio::detail::thread_info_base::allocate) and reports a mismatch
  # that is not there (GCC bug 109224): Asio's own new/delete pair is used for every frame.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
  $<$<BOOL:${MESHTWIN_WERROR}>:-Werror>)
