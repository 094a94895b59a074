//! End-to-end scenarios across Plinth's services against the real stack.
