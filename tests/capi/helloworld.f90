! helloworld.f90: the manual's F2Py example (section 3.8), and the size as a result.
subroutine sayhello(comm)
  use mpi
  implicit none
  integer :: comm, rank, size, ierr
  call MPI_Comm_size(comm, size, ierr)
  call MPI_Comm_rank(comm, rank, ierr)
  print *, 'Hello, World! I am process ',rank,' of ',size,'.'
end subroutine sayhello

subroutine commsize(comm, size)
  use mpi
  implicit none
  integer, intent(in) :: comm
  integer, intent(out) :: size
  integer :: ierr
  call MPI_Comm_size(comm, size, ierr)
end subroutine commsize
