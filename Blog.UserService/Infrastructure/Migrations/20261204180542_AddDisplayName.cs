using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Blog.UserService.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class AddDisplayName : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DisplayName",
                table: "AspNetUsers",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            // Existing accounts are shown as before, by their user name: the value they had before the column existed.
            migrationBuilder.Sql("""UPDATE "AspNetUsers" SET "DisplayName" = left(coalesce("UserName", ''), 64)""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DisplayName",
                table: "AspNetUsers");
        }
    }
}
