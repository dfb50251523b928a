package backoffice

// Placeholders for the screens being written; each goes away when its
// screen lands.

func (s *Server) tokenRoutes() []route     { return nil }
func (s *Server) directoryRoutes() []route { return nil }
func (s *Server) settingsRoutes() []route  { return nil }
